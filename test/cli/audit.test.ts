import { randomUUID } from 'node:crypto';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { canaryCredentials } from '../helpers/grower-secrets';
import { makeWorkDir, removeWorkDir, runCli, writeLeafConfig } from './cli-harness';

describe('leaf-cnhi audit', () => {
  let env: LocalEnvironment;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    env = await startLocalEnvironment();
    dir = await makeWorkDir();
    config = await writeLeafConfig(dir, env);
  });

  afterAll(async () => {
    await env?.close();
    await removeWorkDir(dir);
  });

  const provisionedGrower = async () => {
    const leafUserId = randomUUID();
    env.sandbox.addUser(leafUserId);
    const credentials = canaryCredentials();
    const secretId = await env.putGrowerSecret(`cli-audit/${leafUserId}`, credentials);
    await env.enqueueProvision({ leafUserId, secretId, provider: 'cnhi-fieldops' });
    await env.drain();

    return leafUserId;
  };

  it('runs the audit in-process and exits 0 when Leaf agrees with the record', async () => {
    // GIVEN
    const leafUserId = await provisionedGrower();

    // WHEN
    const result = await runCli([
      'audit',
      '--user',
      leafUserId,
      '--provider',
      'cnhi-fieldops',
      '--config',
      config,
    ]);

    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('agreement   AGREES');
    expect(result.stdout).toMatch(/at Leaf {5}credential \S+, status OK/);
    expect(result.stdout).toMatch(/PROVISION\s+PROVISIONED\s+CREATED/);
    expect(result.stdout).not.toContain('CANARY');
  });

  it('exits 1 with the findings when Leaf holds a credential the record says is gone', async () => {
    // GIVEN
    const leafUserId = await provisionedGrower();
    env.sandbox.setCredentialStatus(leafUserId, 'cnhi-fieldops', 'INVALID');

    // WHEN
    const result = await runCli([
      'audit',
      '--user',
      leafUserId,
      '--provider',
      'cnhi-fieldops',
      '--config',
      config,
      '--json',
    ]);

    // THEN
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      agreement: 'DIFFERS',
      findings: ['Leaf reports status INVALID'],
    });
  });
});
