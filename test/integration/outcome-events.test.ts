import { randomUUID } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSRecord } from 'aws-lambda';
import { createOutcomePublisher } from '../../functions/shared/outcome-events';
import { createProvisionHandler } from '../../functions/shared/provisioning';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { lambdaContext, sqsEvent, sqsRecord } from '../fixtures/sqs-record';
import { peekQueue } from '../helpers/aws-inspection';
import { canaryCredentials, canaryMarker } from '../helpers/grower-secrets';
import { OutcomeEventLog } from '../helpers/outcome-event-log';

/**
 * Outcome events end to end: the real handlers publish to a moto event bus, and a rule on it
 * copies every event to a queue the tests read, as an onboarding pipeline's rule would.
 */
describe('outcome events', () => {
  let env: LocalEnvironment;
  let events: OutcomeEventLog;

  beforeAll(async () => {
    // Long enough that a slow run does not see its messages delivered twice while they are in flight.
    env = await startLocalEnvironment({ maxAttempts: 3, visibilityTimeoutSeconds: 10 });
    events = new OutcomeEventLog(env.outcomeBus.observerQueueUrl);
  });

  afterAll(async () => {
    events?.close();
    await env?.close();
  });

  afterEach(() => {
    env.sandbox.clearFaults();
  });

  const newGrower = async () => {
    const leafUserId = randomUUID();
    env.sandbox.addUser(leafUserId);
    const secretId = await env.putGrowerSecret(`cnhi/${leafUserId}`, canaryCredentials('STAGE'));

    return { leafUserId, secretId };
  };

  // A publisher whose EventBridge cannot be reached: nothing listens on port 1.
  const unreachableEvents = () =>
    createOutcomePublisher({
      eventBusName: env.outcomeBus.eventBusName,
      client: new EventBridgeClient({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 }),
    });
  const handlerPublishingTo = (publisher = unreachableEvents()) =>
    createProvisionHandler(env.provisionConfig, env.runtime, publisher);
  const redelivered = (record: SQSRecord, count: number): SQSRecord => ({
    ...record,
    receiptHandle: `AQEB${randomUUID()}`,
    attributes: { ...record.attributes, ApproximateReceiveCount: String(count) },
  });

  it('publishes CredentialProvisioned with the request and Leaf ids when a request succeeds', async () => {
    // GIVEN
    const grower = await newGrower();
    const requestedAt = new Date(Date.now() - 1_000).toISOString();

    // WHEN
    const messageId = await env.enqueueProvision({
      ...grower,
      requestedAt,
      correlationId: 'onboarding-7',
    });
    await env.drain();

    // THEN
    const [event, ...others] = await events.about(grower.leafUserId);
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      source: 'leaf-cnhi-provisioner',
      'detail-type': 'CredentialProvisioned',
      detail: {
        schemaVersion: 1,
        outcomeId: `CredentialProvisioned:${messageId}`,
        leafUserId: grower.leafUserId,
        provider: 'cnhi',
        operation: 'PROVISION',
        requestedAt,
        correlationId: 'onboarding-7',
        messageId,
        attempts: 1,
        credentialId: env.sandbox.credentials(grower.leafUserId)?.id,
        leafStatus: 'OK',
        action: 'CREATED',
      },
    });
    expect(event?.raw).not.toContain(canaryMarker);
  });

  it('publishes CredentialRemoved when a deprovisioning request succeeds', async () => {
    // GIVEN
    const grower = await newGrower();
    await env.enqueueProvision(grower);
    await env.drain();

    // WHEN
    const messageId = await env.enqueueDeprovision({ leafUserId: grower.leafUserId });
    await env.drain();

    // THEN
    const types = (await events.about(grower.leafUserId)).map((event) => event['detail-type']);
    expect(types).toEqual(['CredentialProvisioned', 'CredentialRemoved']);
    const removed = (await events.about(grower.leafUserId))[1];
    expect(removed?.detail).toMatchObject({
      messageId,
      operation: 'DEPROVISION',
      action: 'REMOVED',
    });
  });

  it('publishes RequestFailed with the reason code when Leaf refuses the request', async () => {
    // GIVEN
    const grower = await newGrower();
    const unknownUser = randomUUID();

    // WHEN
    const messageId = await env.enqueueProvision({
      leafUserId: unknownUser,
      secretId: grower.secretId,
    });
    await env.drain();

    // THEN
    const [event] = await events.about(unknownUser);
    expect(event?.['detail-type']).toBe('RequestFailed');
    expect(event?.detail).toMatchObject({
      messageId,
      reasonCode: 'LEAF_USER_NOT_FOUND',
      reasonMessage: expect.any(String),
    });
  });

  it('publishes RequestFailed naming only the message when a body names no user', async () => {
    // GIVEN
    const body = `{"leafUserId": "${canaryMarker}-in-a-broken-body`;

    // WHEN
    const messageId = await env.enqueueProvision(body);
    await env.drain();

    // THEN
    const failed = (await events.all()).filter((event) => event.detail.messageId === messageId);
    expect(new Set(failed.map((event) => event.detail.outcomeId)).size).toBe(1);
    expect(failed[0]?.detail).toMatchObject({ reasonCode: 'MESSAGE_NOT_JSON' });
    expect(failed[0]?.detail).not.toHaveProperty('leafUserId');
    expect(failed[0]?.raw).not.toContain(canaryMarker);
  });

  it('publishes RequestSkippedStale when an older request arrives after a newer one', async () => {
    // GIVEN
    const grower = await newGrower();
    await env.enqueueProvision({ ...grower, requestedAt: new Date().toISOString() });
    await env.drain();

    // WHEN
    const messageId = await env.enqueueProvision({
      ...grower,
      requestedAt: new Date(Date.now() - 60_000).toISOString(),
    });
    await env.drain();

    // THEN
    const stale = (await events.about(grower.leafUserId)).find(
      (event) => event.detail.messageId === messageId,
    );
    expect(stale?.['detail-type']).toBe('RequestSkippedStale');
    expect(stale?.detail).toMatchObject({ reasonCode: 'STALE_REQUEST' });
  });

  it('leaves the message on the queue when the event cannot be published', async () => {
    // GIVEN
    const grower = await newGrower();
    const record = sqsRecord(grower);

    // WHEN
    const answer = await handlerPublishingTo()(sqsEvent([record]), lambdaContext());

    // THEN
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toMatchObject({
      state: 'PROVISIONED',
    });
    expect(await events.about(grower.leafUserId)).toEqual([]);
  });

  it('announces the recorded outcome without calling Leaf again when the message comes back', async () => {
    // GIVEN
    const grower = await newGrower();
    const record = sqsRecord({ ...grower, correlationId: 'replayed' });
    await handlerPublishingTo()(sqsEvent([record]), lambdaContext());
    const postsBefore = env.sandbox.stats().writes.post;

    // WHEN
    const answer = await handlerPublishingTo(
      createOutcomePublisher({ eventBusName: env.outcomeBus.eventBusName }),
    )(sqsEvent([redelivered(record, 2)]), lambdaContext());

    // THEN
    expect(answer.batchItemFailures).toEqual([]);
    expect(env.sandbox.stats().writes.post).toBe(postsBefore);
    const announced = await events.about(grower.leafUserId);
    expect(announced.map((event) => event['detail-type'])).toEqual(['CredentialProvisioned']);
    expect(announced[0]?.detail).toMatchObject({
      messageId: record.messageId,
      correlationId: 'replayed',
      action: 'CREATED',
      attempts: 1,
    });
  });

  it('announces the original outcome when a newer request overtook the unannounced one', async () => {
    // GIVEN
    const grower = await newGrower();
    const working = handlerPublishingTo(
      createOutcomePublisher({ eventBusName: env.outcomeBus.eventBusName }),
    );
    const older = sqsRecord({ ...grower, requestedAt: new Date(Date.now() - 5_000).toISOString() });
    await handlerPublishingTo()(sqsEvent([older]), lambdaContext());
    await working(
      sqsEvent([sqsRecord({ ...grower, requestedAt: new Date().toISOString() })]),
      lambdaContext(),
    );

    // WHEN
    await working(sqsEvent([redelivered(older, 2)]), lambdaContext());

    // THEN
    const forOlder = (await events.about(grower.leafUserId)).filter(
      (event) => event.detail.messageId === older.messageId,
    );
    expect(forOlder.map((event) => event['detail-type'])).toEqual(['CredentialProvisioned']);
  });

  it('dead-letters a settled request when its event cannot be published on the last delivery', async () => {
    // GIVEN
    const grower = await newGrower();
    const record = sqsRecord(grower, { attributes: { ApproximateReceiveCount: '3' } });

    // WHEN
    const answer = await handlerPublishingTo()(sqsEvent([record]), lambdaContext());

    // THEN
    expect(answer.batchItemFailures).toEqual([]);
    const dead = (await peekQueue(env.resources.provisioningDlqUrl)).filter(
      (message) => message.attributes.originalMessageId === record.messageId,
    );
    expect(dead).toHaveLength(1);
    expect(dead[0]?.attributes.reasonCode).toBe('AWS_UNAVAILABLE');
    expect(dead[0]?.attributes.reasonMessage).toMatch(/CredentialProvisioned .* not published/);
  });

  it('never puts a secret value in any event', async () => {
    // GIVEN
    const everything = await events.all();

    // WHEN
    const leaks = everything.filter((event) => event.raw.includes(canaryMarker));

    // THEN
    expect(everything.length).toBeGreaterThan(5);
    expect(leaks).toEqual([]);
  });
});
