import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type MigrationPorts, migrateGrower } from '../../cli/migration';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { canaryCredentials } from '../helpers/grower-secrets';
import { makeWorkDir, removeWorkDir, runCli, writeLeafConfig } from './cli-harness';

/** The FieldOps migration against moto and the Leaf sandbox, with the local run's pollers. */
describe('FieldOps migration', () => {
  let env: LocalEnvironment;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    env = await startLocalEnvironment({ maxAttempts: 2, visibilityTimeoutSeconds: 1 });
    dir = await makeWorkDir();
    config = await writeLeafConfig(dir, env);
  });

  afterAll(async () => {
    await env?.close();
    await removeWorkDir(dir);
  });

  // A grower on the legacy platform today, with FieldOps credentials stored for tomorrow.
  const legacyGrower = async () => {
    const leafUserId = randomUUID();
    env.sandbox.addUser(leafUserId);
    const legacySecret = await env.putGrowerSecret(
      `cnhi/${leafUserId}`,
      canaryCredentials('PRODUCTION'),
    );
    await env.enqueueProvision({
      leafUserId,
      secretId: legacySecret,
      requestedAt: new Date(Date.now() - 60_000).toISOString(),
    });
    await env.drain();
    const fieldOpsSecret = await env.putGrowerSecret(
      `cnhi-fieldops/${leafUserId}`,
      canaryCredentials(),
    );

    return { leafUserId, secretId: fieldOpsSecret };
  };

  const ports = (overrides: Partial<MigrationPorts> = {}): MigrationPorts => ({
    enqueue: (operation, body) =>
      operation === 'PROVISION' ? env.enqueueProvision(body) : env.enqueueDeprovision(body),
    readRecord: (leafUserId, provider) => env.runtime.store.get(leafUserId, provider),
    audit: (leafUserId, provider) => env.audit(leafUserId, provider),
    ...overrides,
  });

  describe('migrateGrower', () => {
    it('removes the legacy credential when FieldOps is provisioned and Leaf reports it OK', async () => {
      // GIVEN
      const grower = await legacyGrower();
      const notes: string[] = [];

      // WHEN
      const result = await migrateGrower(ports(), grower, {
        timeoutMs: 20_000,
        pollIntervalMs: 200,
        onProgress: (_user, note) => notes.push(note),
      });
      await env.drain();

      // THEN
      expect(result).toMatchObject({
        status: 'MIGRATED',
        fieldOpsCredentialId: env.sandbox.credentials(grower.leafUserId, 'cnhi-fieldops')?.id,
      });
      expect(env.sandbox.credentials(grower.leafUserId, 'cnhi')).toBeUndefined();
      expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toMatchObject({
        state: 'REMOVED',
        correlationId: result.correlationId,
      });
      expect(notes[0]).toMatch(/^FieldOps provisioning enqueued/);
      expect(notes.at(-1)).toMatch(/^FieldOps OK; legacy removal enqueued/);
    });

    it('keeps the legacy credential and says why when Leaf reports FieldOps not OK', async () => {
      // GIVEN
      const grower = await legacyGrower();
      // Leaf finds the new credentials unusable as soon as they arrive.
      const readRecord: MigrationPorts['readRecord'] = async (leafUserId, provider) => {
        const record = await env.runtime.store.get(leafUserId, provider);
        if (record?.state === 'PROVISIONED') {
          env.sandbox.setCredentialStatus(leafUserId, provider, 'UNAUTHENTICATED');
        }

        return record;
      };

      // WHEN
      const result = await migrateGrower(ports({ readRecord }), grower, {
        timeoutMs: 3_000,
        pollIntervalMs: 200,
      });
      await env.drain();

      // THEN
      expect(result.status).toBe('LEGACY_KEPT');
      expect(result).toMatchObject({
        reason: expect.stringMatching(
          /Leaf reports FieldOps status UNAUTHENTICATED.*legacy cnhi credential was left in place/,
        ),
      });
      expect(env.sandbox.credentials(grower.leafUserId, 'cnhi')).toBeDefined();
      expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toMatchObject({
        state: 'PROVISIONED',
      });
    });

    it('keeps the legacy credential when the FieldOps provisioning fails', async () => {
      // GIVEN
      const grower = await legacyGrower();
      const missingSecret = `${env.resources.growerSecretPrefix}cnhi-fieldops/${randomUUID()}`;

      // WHEN
      const result = await migrateGrower(
        ports(),
        { ...grower, secretId: missingSecret },
        { timeoutMs: 20_000, pollIntervalMs: 200 },
      );
      await env.drain();

      // THEN
      expect(result).toMatchObject({
        status: 'LEGACY_KEPT',
        reason: expect.stringContaining('FieldOps provisioning failed: SECRET_NOT_FOUND'),
      });
      expect(env.sandbox.credentials(grower.leafUserId, 'cnhi')).toBeDefined();
    });
  });

  describe('leaf-cnhi migrate', () => {
    it('migrates the grower and exits 0 when FieldOps becomes OK', async () => {
      // GIVEN
      const grower = await legacyGrower();

      // WHEN
      const result = await runCli([
        'migrate',
        '--user',
        grower.leafUserId,
        '--secret',
        grower.secretId,
        '--interval',
        '1',
        '--config',
        config,
      ]);
      await env.drain();

      // THEN
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^MIGRATED +${grower.leafUserId}: FieldOps`));
      expect(result.stderr).toContain(`${grower.leafUserId}: FieldOps provisioning enqueued`);
      expect(env.sandbox.credentials(grower.leafUserId, 'cnhi')).toBeUndefined();
      expect(`${result.stdout}${result.stderr}`).not.toContain('CANARY');
    });

    it('exits 1 and names the grower kept on legacy when one row of a file fails', async () => {
      // GIVEN
      const good = await legacyGrower();
      const bad = await legacyGrower();
      const file = join(dir, 'growers.jsonl');
      await writeFile(
        file,
        [
          JSON.stringify(good),
          JSON.stringify({
            leafUserId: bad.leafUserId,
            secretId: `${env.resources.growerSecretPrefix}cnhi-fieldops/${randomUUID()}`,
          }),
        ].join('\n'),
      );

      // WHEN
      const result = await runCli([
        'migrate',
        '--file',
        file,
        '--interval',
        '1',
        '--config',
        config,
        '--json',
      ]);
      await env.drain();

      // THEN
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toEqual([
        expect.objectContaining({ status: 'MIGRATED', leafUserId: good.leafUserId }),
        expect.objectContaining({ status: 'LEGACY_KEPT', leafUserId: bad.leafUserId }),
      ]);
      expect(env.sandbox.credentials(bad.leafUserId, 'cnhi')).toBeDefined();
    });

    it('exits 2 before touching AWS when the secret is missing from the arguments', async () => {
      // GIVEN
      const leafUserId = randomUUID();

      // WHEN
      const result = await runCli(['migrate', '--user', leafUserId, '--config', config]);

      // THEN
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('give --user and --secret, or --file');
    });
  });
});
