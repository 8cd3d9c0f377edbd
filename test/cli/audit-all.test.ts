import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { captureOutput } from '../helpers/captured-output';
import { provisionGrowers } from '../helpers/webhook-setup';
import { makeWorkDir, removeWorkDir, runCli, writeLeafConfig } from './cli-harness';

describe('leaf-cnhi audit --all', () => {
  let env: LocalEnvironment;
  let dir: string;
  let config: string;
  let growers: { leafUserId: string; credentialId: string }[];

  beforeAll(async () => {
    const output = captureOutput();
    try {
      env = await startLocalEnvironment();
      growers = await provisionGrowers(env, 2);
    } finally {
      output.restore();
    }
    dir = await makeWorkDir();
    config = await writeLeafConfig(dir, env);
  });

  afterAll(async () => {
    await env?.close();
    await removeWorkDir(dir);
  });

  it('prints the scheduled audit’s report and exits 1 when a credential is unhealthy', async () => {
    // GIVEN
    const [sick, healthy] = growers;
    env.sandbox.setCredentialStatus(sick?.leafUserId ?? '', 'cnhi', 'UNAUTHENTICATED');

    // WHEN
    const result = await runCli([
      'audit',
      '--all',
      '--requests-per-minute',
      '1000',
      '--config',
      config,
    ]);

    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/records {5}2 \(audited 2, missed 0\)/);
    expect(result.stdout).toMatch(/unhealthy {3}1 /);
    expect(result.stdout).toContain(sick?.leafUserId);
    expect(result.stdout).toContain('Leaf reports status UNAUTHENTICATED');
    expect(result.stdout).not.toContain(healthy?.leafUserId);
    expect(result.stdout).not.toContain('CANARY');
    expect((await env.runtime.store.findByCredentialId(sick?.credentialId ?? ''))[0]).toMatchObject(
      { auditAgreement: 'DIFFERS', leafStatus: 'UNAUTHENTICATED' },
    );
  });

  it('notes nothing in the records with --read-only', async () => {
    // GIVEN
    const [, healthy] = growers;
    const before = await env.runtime.store.findByCredentialId(healthy?.credentialId ?? '');

    // WHEN
    const result = await runCli(['audit', '--all', '--read-only', '--config', config, '--json']);

    // THEN
    expect(JSON.parse(result.stdout)).toMatchObject({ records: 2, audited: 2 });
    expect(await env.runtime.store.findByCredentialId(healthy?.credentialId ?? '')).toEqual(before);
  });

  it('refuses --all together with --user', async () => {
    // GIVEN
    const argv = ['audit', '--all', '--user', growers[0]?.leafUserId ?? '', '--config', config];

    // WHEN
    const result = await runCli(argv);

    // THEN
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--all audits every record');
  });
});
