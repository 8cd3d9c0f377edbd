import { randomUUID } from 'node:crypto';
import { logger } from '../../functions/shared/logger';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { peekQueue } from '../helpers/aws-inspection';
import { type CapturedOutput, captureOutput } from '../helpers/captured-output';
import { canaryCredentials } from '../helpers/grower-secrets';
import { findCanaries, gatherExposedText } from '../helpers/leak-check';

/**
 * The whole flow on real services: moto for SQS, Secrets Manager and DynamoDB, the Leaf sandbox
 * over loopback, and the real handlers fed by a poller that behaves like Lambda's event source.
 */
describe('provisioning flow', () => {
  let env: LocalEnvironment;
  let output: CapturedOutput;

  beforeAll(async () => {
    env = await startLocalEnvironment({ maxAttempts: 3, visibilityTimeoutSeconds: 1 });
  });

  afterAll(async () => {
    await env?.close();
  });

  beforeEach(() => {
    // Every level, so a secret logged only at debug level would be found too.
    logger.setLogLevel('DEBUG');
    output = captureOutput();
  });

  afterEach(() => {
    output.restore();
    logger.setLogLevel('SILENT');
    env.sandbox.clearFaults();
    env.sandbox.setSecondPost('conflict');
  });

  const newGrower = async (provider: 'cnhi' | 'cnhi-fieldops' = 'cnhi') => {
    const leafUserId = randomUUID();
    env.sandbox.addUser(leafUserId);
    const credentials = canaryCredentials(provider === 'cnhi' ? 'PRODUCTION' : undefined);
    const secretId = await env.putGrowerSecret(`${provider}/${leafUserId}`, credentials);

    return { leafUserId, provider, credentials, secretId };
  };

  it.each(['cnhi', 'cnhi-fieldops'] as const)(
    'attaches the grower secret to the Leaf user for provider %s',
    async (provider) => {
      // GIVEN
      const grower = await newGrower(provider);

      // WHEN
      await env.enqueueProvision({
        leafUserId: grower.leafUserId,
        secretId: grower.secretId,
        provider,
        correlationId: 'onboarding-42',
      });
      await env.drain();

      // THEN
      const held = env.sandbox.credentials(grower.leafUserId, provider);
      expect(held).toMatchObject({
        clientId: grower.credentials.clientId,
        clientSecret: grower.credentials.clientSecret,
        subscriptionKey: grower.credentials.subscriptionKey,
        refreshToken: grower.credentials.refreshToken,
        clientEnvironment: provider === 'cnhi' ? 'PRODUCTION' : 'STAGE',
      });
      const record = await env.runtime.store.get(grower.leafUserId, provider);
      expect(record).toMatchObject({
        state: 'PROVISIONED',
        action: 'CREATED',
        leafStatus: 'OK',
        credentialId: held?.id,
        correlationId: 'onboarding-42',
        attempts: 1,
      });
      expect(record?.leaseOwner).toBeUndefined();
    },
  );

  it('settles each record of a mixed batch on its own', async () => {
    // GIVEN
    const good = await newGrower();
    const unknownUser = randomUUID();

    // WHEN
    await Promise.all([
      env.enqueueProvision({ leafUserId: good.leafUserId, secretId: good.secretId }),
      env.enqueueProvision('{"leafUserId": '),
      env.enqueueProvision({ leafUserId: unknownUser, secretId: good.secretId }),
      env.enqueueProvision({ leafUserId: randomUUID(), secretId: 'elsewhere/secret' }),
    ]);
    await env.drain();

    // THEN
    expect(env.sandbox.credentials(good.leafUserId)?.clientId).toBe(good.credentials.clientId);
    expect(await env.runtime.store.get(unknownUser, 'cnhi')).toMatchObject({
      state: 'FAILED',
      reasonCode: 'LEAF_USER_NOT_FOUND',
    });
    const reasons = (await peekQueue(env.resources.provisioningDlqUrl)).map(
      (message) => message.attributes.reasonCode,
    );
    expect(reasons.sort()).toEqual(
      expect.arrayContaining(['LEAF_USER_NOT_FOUND', 'MESSAGE_NOT_JSON', 'SECRET_OUTSIDE_PREFIX']),
    );
  });

  it('succeeds on redelivery after a transient Leaf failure', async () => {
    // GIVEN
    const grower = await newGrower();
    env.sandbox.injectFault({
      kind: 'status',
      status: 503,
      body: 'html',
      times: 1,
      match: { method: 'POST' },
    });

    // WHEN
    await env.enqueueProvision({ leafUserId: grower.leafUserId, secretId: grower.secretId });
    await env.drain();

    // THEN
    expect(env.sandbox.credentials(grower.leafUserId)?.clientId).toBe(grower.credentials.clientId);
    expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toMatchObject({
      state: 'PROVISIONED',
      attempts: 2,
    });
    const history = await env.runtime.store.history(grower.leafUserId);
    expect(history.map((entry) => entry.outcome)).toEqual(['PROVISIONED']);
  });

  it('dead-letters the request and records FAILED after the last attempt', async () => {
    // GIVEN
    const grower = await newGrower();
    env.sandbox.injectFault({ kind: 'status', status: 500, match: { method: 'POST' } });

    // WHEN
    await env.enqueueProvision({ leafUserId: grower.leafUserId, secretId: grower.secretId });
    await env.drain();

    // THEN
    expect(env.sandbox.credentials(grower.leafUserId)).toBeUndefined();
    expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toMatchObject({
      state: 'FAILED',
      reasonCode: 'LEAF_SERVER_ERROR',
      attempts: 3,
    });
    const dead = (await peekQueue(env.resources.provisioningDlqUrl)).filter((message) =>
      message.body.includes(grower.leafUserId),
    );
    expect(dead).toHaveLength(1);
    expect(dead[0]?.attributes).toMatchObject({
      reasonCode: 'LEAF_SERVER_ERROR',
      receiveCount: '3',
    });
  });

  it.each([
    ['holds a credential', true, 'REMOVED'],
    ['holds none (404)', false, 'ALREADY_ABSENT'],
  ])('removes the credential when Leaf %s', async (_case, provisioned, action) => {
    // GIVEN
    const grower = await newGrower();
    if (provisioned) {
      await env.enqueueProvision({ leafUserId: grower.leafUserId, secretId: grower.secretId });
      await env.drain();
    }

    // WHEN
    await env.enqueueDeprovision({ leafUserId: grower.leafUserId, provider: 'cnhi' });
    await env.drain();

    // THEN
    expect(env.sandbox.credentials(grower.leafUserId)).toBeUndefined();
    expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toMatchObject({
      state: 'REMOVED',
      action,
    });
  });

  it.each(['replace', 'conflict', 'bad-request'] as const)(
    'ends with the new credentials when they change and Leaf answers a second POST with %s',
    async (mode) => {
      // GIVEN
      env.sandbox.setSecondPost(mode);
      const grower = await newGrower();
      await env.enqueueProvision({ leafUserId: grower.leafUserId, secretId: grower.secretId });
      await env.drain();
      const first = env.sandbox.credentials(grower.leafUserId);
      const renewed = canaryCredentials('PRODUCTION');
      await env.putGrowerSecret(`cnhi/${grower.leafUserId}`, renewed);

      // WHEN
      await env.enqueueProvision({ leafUserId: grower.leafUserId, secretId: grower.secretId });
      await env.drain();

      // THEN
      const held = env.sandbox.credentials(grower.leafUserId);
      expect(held?.refreshToken).toBe(renewed.refreshToken);
      expect(held?.id).not.toBe(first?.id);
      expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toMatchObject({
        state: 'PROVISIONED',
        action: 'REPLACED',
        credentialId: held?.id,
      });
    },
  );

  it('answers an audit with no secret value and agreement with the record', async () => {
    // GIVEN
    const grower = await newGrower();
    await env.enqueueProvision({ leafUserId: grower.leafUserId, secretId: grower.secretId });
    await env.drain();

    // WHEN
    const answer = await env.audit(grower.leafUserId, 'cnhi');

    // THEN
    expect(answer).toMatchObject({
      leaf: { present: true, status: 'OK', clientIdLast4: grower.credentials.clientId.slice(-4) },
      record: { state: 'PROVISIONED' },
      agreement: 'AGREES',
    });
    const serialized = JSON.stringify(answer);
    for (const value of Object.values(grower.credentials)) {
      if (value !== 'PRODUCTION') {
        expect(serialized).not.toContain(value);
      }
    }
  });

  it('leaks no secret into logs, records, dead letters or answers on any path', async () => {
    // GIVEN: a success, a permanent failure, a transient failure and a removal
    const ok = await newGrower();
    const rejected = await newGrower();
    const flaky = await newGrower();
    env.sandbox.injectFault({
      kind: 'status',
      status: 400,
      body: 'problem',
      match: { path: rejected.leafUserId },
    });
    env.sandbox.injectFault({
      kind: 'drop',
      times: 1,
      match: { path: flaky.leafUserId, method: 'POST' },
    });

    // WHEN
    await Promise.all(
      [ok, rejected, flaky].map((grower) =>
        env.enqueueProvision({ leafUserId: grower.leafUserId, secretId: grower.secretId }),
      ),
    );
    await env.drain();
    await env.enqueueDeprovision({ leafUserId: ok.leafUserId });
    await env.drain();
    const answers = await Promise.all([ok, rejected, flaky].map((g) => env.audit(g.leafUserId)));

    // THEN
    expect(env.sandbox.credentials(flaky.leafUserId)?.clientId).toBe(flaky.credentials.clientId);
    expect(await env.runtime.store.get(rejected.leafUserId, 'cnhi')).toMatchObject({
      reasonCode: 'LEAF_BAD_REQUEST',
    });
    // The capture must really hold the functions' logs, or finding nothing in it proves nothing.
    expect(output.text()).toContain('request dead-lettered');
    const exposed = await gatherExposedText(env, output.text(), answers);
    expect(findCanaries(exposed)).toEqual([]);
  });
});
