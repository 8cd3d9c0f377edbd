import { LeafAlertsClient } from '../../functions/shared/leaf-alerts-client';
import { logger } from '../../functions/shared/logger';
import { metricNames } from '../../functions/shared/metric-names';
import { createWebhookHandler } from '../../functions/shared/webhook-receiver';
import { type FunctionUrlServer, startFunctionUrlServer } from '../../local/function-url-server';
import { leafTimestamp } from '../../local/leaf-sandbox/leaf-time';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { peekQueue } from '../helpers/aws-inspection';
import { type CapturedOutput, captureOutput } from '../helpers/captured-output';
import { emfLines, seriesSum } from '../helpers/emf-lines';
import { canaryMarker } from '../helpers/grower-secrets';
import {
  deleteSecret,
  newWebhookKey,
  provisionGrowers,
  putWebhookSecret,
} from '../helpers/webhook-setup';

/**
 * Leaf's credential webhooks end to end: the Leaf sandbox registers the receiver, confirms it and
 * POSTs signed events over loopback to the unchanged handler behind a function-URL stand-in, which
 * records them in the status table on moto and publishes drift on the outcome bus.
 */
describe('webhook receiver', () => {
  let env: LocalEnvironment;
  let receiver: FunctionUrlServer;
  let base64Receiver: FunctionUrlServer;
  let secretId: string;
  const key = newWebhookKey();
  let output: CapturedOutput;
  let growers: { leafUserId: string; credentialId: string }[];
  const alerts = () => new LeafAlertsClient(env.runtime.leaf);

  const credentialEvent = (credentialId: string, overrides: Record<string, unknown> = {}) => ({
    credential: 'CNHICredentials',
    provider: 'CNHI',
    credentialId,
    message: 'The credentials are no longer authorized',
    status: 'UNAUTHENTICATED',
    type: 'credentialsUnauthenticated',
    timestamp: leafTimestamp(),
    ...overrides,
  });
  const recordOf = async (credentialId: string) =>
    (await env.runtime.store.findByCredentialId(credentialId))[0];
  const historyOf = (leafUserId: string) => env.runtime.store.history(leafUserId, 'cnhi', 50);

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    // The provisioning that sets the scene prints its own metrics; they are not this test's.
    const setup = captureOutput();
    try {
      await setUp();
    } finally {
      setup.restore();
    }
  });

  const setUp = async () => {
    env = await startLocalEnvironment();
    secretId = await putWebhookSecret(
      env.resources.growerSecretPrefix.replace(/cnhi\/$/, 'leaf/webhook'),
      key,
    );
    const handler = createWebhookHandler({
      statusTableName: env.resources.tableName,
      webhookSecretId: secretId,
      outcomeEventBusName: env.outcomeBus.eventBusName,
    });
    receiver = await startFunctionUrlServer({ handler });
    base64Receiver = await startFunctionUrlServer({ handler, base64Bodies: true });
    growers = await provisionGrowers(env, 4);
    // Registered as an operator does (`leaf-cnhi webhook register`); the twin takes another event,
    // since Leaf allows one webhook per event type.
    const options = { budgetMs: 10_000 };
    await alerts().register({ url: receiver.url, name: 'credential health', secret: key }, options);
    await alerts().register(
      { url: base64Receiver.url, name: 'base64 twin', secret: key, events: ['machineCreated'] },
      options,
    );
    await env.sandbox.settleWebhooks();
  };

  afterAll(async () => {
    await Promise.all([receiver?.close(), base64Receiver?.close()]);
    await env?.close();
    await deleteSecret(secretId);
  });

  beforeEach(() => {
    logger.setLogLevel('DEBUG');
    output = captureOutput();
  });

  afterEach(() => {
    output.restore();
    logger.setLogLevel('SILENT');
  });

  it('answers Leaf’s confirmation with 200 when the webhook is registered', async () => {
    // GIVEN
    const confirmation = env.sandbox.webhookDeliveries().find((d) => d.type === undefined);

    // WHEN
    // Leaf repeats a confirmation that did not get a 2xx; the receiver must take it again.
    const repeated = await env.sandbox.replayWebhook(confirmation?.id);

    // THEN
    expect(confirmation?.status).toBe(200);
    expect(repeated.status).toBe(200);
    expect(env.sandbox.webhooks().map((webhook) => webhook.events)).toEqual([
      ['credentialsUnauthenticated', 'credentialsLimitedPermission'],
      ['machineCreated'],
    ]);
  });

  it('records Leaf’s new status and a history entry when a credential turns unauthenticated', async () => {
    // GIVEN
    const [grower] = growers;
    const before = (await historyOf(grower.leafUserId)).length;

    // WHEN
    env.sandbox.setCredentialStatus(grower.leafUserId, 'cnhi', 'UNAUTHENTICATED');
    await env.sandbox.settleWebhooks();

    // THEN
    expect(env.sandbox.webhookDeliveries().at(-1)).toMatchObject({
      type: 'credentialsUnauthenticated',
      status: 200,
    });
    expect(await recordOf(grower.credentialId)).toMatchObject({
      state: 'PROVISIONED',
      leafStatus: 'UNAUTHENTICATED',
      leafStatusSource: 'WEBHOOK',
      leafEventType: 'credentialsUnauthenticated',
    });
    const history = await historyOf(grower.leafUserId);
    expect(history).toHaveLength(before + 1);
    expect(history[0]).toMatchObject({
      operation: 'LEAF_WEBHOOK',
      outcome: 'LEAF_STATUS_CHANGED',
      leafStatus: 'UNAUTHENTICATED',
    });
    const emf = emfLines(output.text());
    expect(seriesSum(emf, metricNames.webhookCalls, { result: 'recorded' })).toBe(1);
  });

  it('publishes the event as drift on the outcome bus when it is recorded', async () => {
    // GIVEN
    const [, grower] = growers;

    // WHEN
    env.sandbox.setCredentialStatus(grower.leafUserId, 'cnhi', 'MISSING_PERMISSION');
    await env.sandbox.settleWebhooks();

    // THEN
    const events = (await peekQueue(env.outcomeBus.observerQueueUrl, 1)).map(
      (message) => JSON.parse(message.body) as { 'detail-type': string; detail: object },
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        'detail-type': 'DriftFound',
        detail: expect.objectContaining({
          leafUserId: grower.leafUserId,
          credentialId: grower.credentialId,
          leafStatus: 'MISSING_PERMISSION',
          findings: ['Leaf reports status MISSING_PERMISSION'],
        }),
      }),
    );
  });

  it.each([
    ['signed with another key', 'invalid'],
    ['unsigned', 'missing'],
  ] as const)('answers 401 and records nothing when the call is %s', async (_, signature) => {
    // GIVEN
    const [, , grower] = growers;
    const before = await recordOf(grower.credentialId);

    // WHEN
    const [delivery] = await env.sandbox.sendWebhookEvent(credentialEvent(grower.credentialId), {
      signature,
      webhookId: env.sandbox.webhooks()[0]?.id,
    });

    // THEN
    expect(delivery?.status).toBe(401);
    expect(await recordOf(grower.credentialId)).toEqual(before);
  });

  it('refuses a replay of a recorded call with a 2xx and no second entry', async () => {
    // GIVEN
    const [, , , grower] = growers;
    const [original] = await env.sandbox.sendWebhookEvent(credentialEvent(grower.credentialId), {
      webhookId: env.sandbox.webhooks()[0]?.id,
    });
    const history = await historyOf(grower.leafUserId);

    // WHEN
    const replay = await env.sandbox.replayWebhook(original?.id);

    // THEN
    expect(original?.status).toBe(200);
    expect(replay).toMatchObject({ status: 200, replayOf: original?.id, body: original?.body });
    expect(await historyOf(grower.leafUserId)).toEqual(history);
    expect(
      seriesSum(emfLines(output.text()), metricNames.webhookCalls, { result: 'duplicate' }),
    ).toBe(1);
  });

  it('acknowledges an event type it does not handle without writing anything', async () => {
    // GIVEN
    const payload = { source: 'REST', leafUserId: growers[0]?.leafUserId, type: 'fieldCreated' };

    // WHEN
    const deliveries = await env.sandbox.sendWebhookEvent(payload, {
      webhookId: env.sandbox.webhooks()[0]?.id,
    });

    // THEN
    expect(deliveries.map((d) => d.status)).toEqual([200]);
    expect(
      seriesSum(emfLines(output.text()), metricNames.webhookCalls, { result: 'ignored' }),
    ).toBe(1);
  });

  it('acknowledges an event for a credential id no record holds', async () => {
    // GIVEN
    const payload = credentialEvent('0b7f5d2e-3c41-4a8e-9f60-1d2c3b4a5e6f');

    // WHEN
    const deliveries = await env.sandbox.sendWebhookEvent(payload, {
      webhookId: env.sandbox.webhooks()[0]?.id,
    });

    // THEN
    expect(deliveries.map((d) => d.status)).toEqual([200]);
    expect(
      seriesSum(emfLines(output.text()), metricNames.webhookCalls, { result: 'unknownCredential' }),
    ).toBe(1);
  });

  it('verifies and records a body the function URL hands over base64-encoded', async () => {
    // GIVEN
    const [grower] = growers;
    const twin = env.sandbox.webhooks().find((webhook) => webhook.url === base64Receiver.url);
    const payload = credentialEvent(grower.credentialId, {
      type: 'credentialsLimitedPermission',
      status: 'LIMITED_PERMISSION',
    });

    // WHEN
    const deliveries = await env.sandbox.sendWebhookEvent(payload, { webhookId: twin?.id });

    // THEN
    expect(deliveries.map((d) => d.status)).toEqual([200]);
    expect(await recordOf(grower.credentialId)).toMatchObject({
      leafStatus: 'LIMITED_PERMISSION',
      leafEventType: 'credentialsLimitedPermission',
    });
  });

  it('writes no secret value to the logs or the table', async () => {
    // GIVEN
    const [, , grower] = growers;

    // WHEN
    await env.sandbox.sendWebhookEvent(credentialEvent(grower.credentialId), {
      webhookId: env.sandbox.webhooks()[0]?.id,
    });

    // THEN
    const exposed = `${output.text()}${JSON.stringify(await recordOf(grower.credentialId))}`;
    expect(exposed).not.toContain(canaryMarker);
    expect(exposed).not.toContain(key);
  });
});
