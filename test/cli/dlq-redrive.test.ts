import { randomUUID } from 'node:crypto';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { canaryCredentials } from '../helpers/grower-secrets';
import { makeWorkDir, queueDepth, removeWorkDir, runCli, writeConfig } from './cli-harness';

/**
 * Redrive against the whole local product: the real handlers, fed from moto's queues by the local
 * poller, provision a request that the command moved back from the dead-letter queue.
 */
describe('leaf-cnhi dlq redrive', () => {
  let env: LocalEnvironment;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    // A visibility timeout longer than any delivery takes on a busy machine: a second delivery
    // of the failing request would dead-letter a second copy of it.
    env = await startLocalEnvironment({ maxAttempts: 3, visibilityTimeoutSeconds: 15 });
    dir = await makeWorkDir();
    config = await writeConfig(dir, env.resources);
  });

  afterAll(async () => {
    await env?.close();
    await removeWorkDir(dir);
  });

  it('moves a dead-lettered request back, and the handler then provisions it', async () => {
    // GIVEN a request for a Leaf user that Leaf does not know yet, dead-lettered for that
    const leafUserId = randomUUID();
    const credentials = canaryCredentials('PRODUCTION');
    const secretId = await env.putGrowerSecret(`cli-redrive/${leafUserId}`, credentials);
    await env.enqueueProvision({ leafUserId, secretId });
    await env.drain();
    expect(await env.runtime.store.get(leafUserId, 'cnhi')).toMatchObject({
      state: 'FAILED',
      reasonCode: 'LEAF_USER_NOT_FOUND',
    });
    expect(await queueDepth(env.resources.provisioningDlqUrl)).toBe(1);
    env.sandbox.addUser(leafUserId);

    // WHEN
    const result = await runCli(['dlq', 'redrive', '--queue', 'provisioning', '--config', config]);
    await env.drain();

    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'provisioning: COMPLETED, moved 1 of 1 message(s) back to the provisioning queue',
    );
    expect(result.stderr).toContain('redriving provisioning: 1/1 (100%)');
    expect(await queueDepth(env.resources.provisioningDlqUrl)).toBe(0);
    expect(await env.runtime.store.get(leafUserId, 'cnhi')).toMatchObject({
      state: 'PROVISIONED',
      action: 'CREATED',
    });
    expect(env.sandbox.credentials(leafUserId)?.clientSecret).toBe(credentials.clientSecret);
  });

  it('says there is nothing to redrive and exits 0 when the dead-letter queues are empty', async () => {
    // GIVEN
    const args = ['dlq', 'redrive', '--config', config];

    // WHEN
    const result = await runCli(args);

    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('provisioning: nothing to redrive');
    expect(result.stdout).toContain('deprovisioning: nothing to redrive');
  });
});
