import { createWebhookHandler } from '../../functions/shared/webhook-receiver';
import { type FunctionUrlServer, startFunctionUrlServer } from '../../local/function-url-server';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { deleteSecret, newWebhookKey, putWebhookSecret } from '../helpers/webhook-setup';
import { makeWorkDir, removeWorkDir, runCli, writeLeafConfig } from './cli-harness';

describe('leaf-cnhi webhook', () => {
  let env: LocalEnvironment;
  let receiver: FunctionUrlServer;
  let dir: string;
  let config: string;
  let secretId: string;
  const key = newWebhookKey();

  beforeAll(async () => {
    env = await startLocalEnvironment();
    secretId = await putWebhookSecret(
      env.resources.growerSecretPrefix.replace(/cnhi\/$/, 'leaf/webhook'),
      key,
    );
    receiver = await startFunctionUrlServer({
      handler: createWebhookHandler({
        statusTableName: env.resources.tableName,
        webhookSecretId: secretId,
      }),
    });
    dir = await makeWorkDir();
    config = await writeLeafConfig(dir, env);
  });

  afterAll(async () => {
    await receiver?.close();
    await env?.close();
    await deleteSecret(secretId);
    await removeWorkDir(dir);
  });

  afterEach(() => {
    env.sandbox.reset();
  });

  it('registers the receiver for the credential events, which then confirms it', async () => {
    // GIVEN
    const argv = ['webhook', 'register', '--url', receiver.url, '--webhook-secret', secretId];

    // WHEN
    const result = await runCli([...argv, '--config', config]);
    await env.sandbox.settleWebhooks();

    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('credentialsUnauthenticated, credentialsLimitedPermission');
    expect(env.sandbox.webhookDeliveries()).toEqual([
      expect.objectContaining({ url: receiver.url, status: 200, signature: 'valid' }),
    ]);
    expect(`${result.stdout}${result.stderr}`).not.toContain(key);
  });

  it('lists the webhooks without their keys', async () => {
    // GIVEN
    await runCli([
      'webhook',
      'register',
      '--url',
      receiver.url,
      '--webhook-secret',
      secretId,
      '--config',
      config,
    ]);

    // WHEN
    const result = await runCli(['webhook', 'list', '--config', config, '--json']);

    // THEN
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        id: expect.any(String),
        name: 'leaf-cnhi-provisioner credential health',
        url: receiver.url,
        events: ['credentialsUnauthenticated', 'credentialsLimitedPermission'],
      },
    ]);
    expect(result.stdout).not.toContain(key);
  });

  it('explains Leaf’s refusal when the events are registered already', async () => {
    // GIVEN
    const argv = ['webhook', 'register', '--url', receiver.url, '--webhook-secret', secretId];
    await runCli([...argv, '--config', config]);

    // WHEN
    const result = await runCli([...argv, '--config', config]);

    // THEN
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('eventRegisteredTwice');
    expect(result.stderr).toContain('leaf-cnhi webhook list');
  });

  it.each([
    [['webhook', 'register'], 'webhook register needs --url'],
    [['webhook', 'register', '--url', 'http://example.com/leaf'], '--url must be an https URL'],
    [['webhook', 'remove'], 'give register or list'],
  ])('refuses %j without calling Leaf', async (argv, message) => {
    // GIVEN
    const requests = env.sandbox.stats().requests;

    // WHEN
    const result = await runCli([...argv, '--config', config]);

    // THEN
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(env.sandbox.stats().requests).toBe(requests);
  });
});
