import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createDeprovisionHandler } from '../../functions/shared/deprovisioning';
import { createProvisionHandler } from '../../functions/shared/provisioning';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { lambdaContext, sqsEvent, sqsRecord } from '../fixtures/sqs-record';
import { canaryCredentials } from '../helpers/grower-secrets';

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

/**
 * At-least-once, unordered delivery against real services: redelivered messages and batches,
 * requests arriving out of order across the two queues, answers lost after Leaf applied a write,
 * and a token that expires with a batch in flight.
 */
describe('provisioning under redelivery and disorder', () => {
  let env: LocalEnvironment;
  const sqs = new SQSClient({});

  beforeAll(async () => {
    env = await startLocalEnvironment({ maxAttempts: 4, visibilityTimeoutSeconds: 1 });
  });

  afterAll(async () => {
    sqs.destroy();
    await env?.close();
  });

  afterEach(() => {
    env.sandbox.clearFaults();
  });

  const newGrower = async () => {
    const leafUserId = randomUUID();
    env.sandbox.addUser(leafUserId);
    const secretId = await env.putGrowerSecret(leafUserId, canaryCredentials('PRODUCTION'));

    return { leafUserId, secretId };
  };

  const provisionedGrower = async () => {
    const grower = await newGrower();
    const handler = createProvisionHandler(env.provisionConfig);
    await handler(
      sqsEvent([sqsRecord({ leafUserId: grower.leafUserId, secretId: grower.secretId })]),
      lambdaContext(),
    );
    const before = await env.runtime.store.get(grower.leafUserId, 'cnhi');

    return { grower, handler, before };
  };

  it('applies a message delivered twice only once, with one transition in the history', async () => {
    // GIVEN one message, handed to the handler twice as a redelivery would
    const grower = await newGrower();
    const handler = createProvisionHandler(env.provisionConfig);
    const record = sqsRecord({ leafUserId: grower.leafUserId, secretId: grower.secretId });
    const writesBefore = env.sandbox.stats().writes.post;

    // WHEN
    const first = await handler(sqsEvent([record]), lambdaContext());
    const again = await handler(
      sqsEvent([{ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } }]),
      lambdaContext(),
    );

    // THEN
    expect(first.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect(env.sandbox.stats().writes.post - writesBefore).toBe(1);
    expect(await env.runtime.store.history(grower.leafUserId)).toHaveLength(1);
  });

  it('repeats no Leaf write when a whole batch comes again after a function timeout', async () => {
    // GIVEN a batch of five, completed once
    const growers = await Promise.all(Array.from({ length: 5 }, newGrower));
    const handler = createProvisionHandler(env.provisionConfig);
    const batch = sqsEvent(
      growers.map((grower) =>
        sqsRecord({ leafUserId: grower.leafUserId, secretId: grower.secretId }),
      ),
    );
    await handler(batch, lambdaContext());
    const writesAfterFirst = env.sandbox.stats().writes;

    // WHEN
    const again = await handler(batch, lambdaContext());

    // THEN
    expect(again.batchItemFailures).toEqual([]);
    expect(env.sandbox.stats().writes).toEqual(writesAfterFirst);
    for (const grower of growers) {
      expect(await env.runtime.store.history(grower.leafUserId)).toHaveLength(1);
    }
  });

  it('resolves a POST whose answer was lost by reading Leaf, not by posting again', async () => {
    // GIVEN Leaf applies the first POST but the connection drops before the answer
    const grower = await newGrower();
    env.sandbox.injectFault({
      kind: 'drop-after-apply',
      times: 1,
      match: { method: 'POST', path: grower.leafUserId },
    });
    const writesBefore = env.sandbox.stats().writes.post;

    // WHEN
    await env.enqueueProvision({ leafUserId: grower.leafUserId, secretId: grower.secretId });
    await env.drain();

    // THEN
    expect(env.sandbox.stats().writes.post - writesBefore).toBe(1);
    expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toMatchObject({
      state: 'PROVISIONED',
      action: 'UNCHANGED',
      attempts: 2,
    });
  });

  it('ends a message that failed for good the same way when a copy of it comes again', async () => {
    // GIVEN a message that failed for good: Leaf refused its POST with a 400
    const grower = await newGrower();
    const handler = createProvisionHandler(env.provisionConfig);
    const record = sqsRecord({ leafUserId: grower.leafUserId, secretId: grower.secretId });
    env.sandbox.injectFault({
      kind: 'status',
      status: 400,
      times: 1,
      match: { method: 'POST', path: grower.leafUserId },
    });
    await handler(sqsEvent([record]), lambdaContext());
    const requestsBefore = env.sandbox.stats().requests;

    // WHEN SQS hands the same message over once more, as a first delivery
    const again = await handler(sqsEvent([record]), lambdaContext());

    // THEN it is not worked again: no Leaf call, the record keeps its one end
    expect(again.batchItemFailures).toEqual([]);
    expect(env.sandbox.stats().requests).toBe(requestsBefore);
    const current = await env.runtime.store.get(grower.leafUserId, 'cnhi');
    expect(current).toMatchObject({ state: 'FAILED', reasonCode: 'LEAF_BAD_REQUEST' });
    expect(current?.leaseOwner).toBeUndefined();
    expect(await env.runtime.store.history(grower.leafUserId)).toHaveLength(1);
  });

  it('leaves a provisioned record as it was when a malformed request names its user', async () => {
    // GIVEN a provisioned grower
    const { grower, handler, before } = await provisionedGrower();
    const malformed = sqsRecord({ leafUserId: grower.leafUserId, secretId: 123 });

    // WHEN
    const answer = await handler(sqsEvent([malformed]), lambdaContext());

    // THEN the refusal is in the history only; the record still says what Leaf holds
    expect(answer.batchItemFailures).toEqual([]);
    expect(before).toMatchObject({ state: 'PROVISIONED', credentialId: expect.any(String) });
    expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toEqual(before);
    expect(await env.runtime.store.history(grower.leafUserId)).toContainEqual(
      expect.objectContaining({
        messageId: malformed.messageId,
        outcome: 'FAILED',
        reasonCode: 'MESSAGE_INVALID',
      }),
    );
  });

  it('keeps the credential id when a later request fails before reaching Leaf', async () => {
    // GIVEN a provisioned grower
    const { grower, handler, before } = await provisionedGrower();

    // WHEN a newer request names a secret that does not exist
    const missing = `${env.resources.growerSecretPrefix}cnhi/missing-${grower.leafUserId}`;
    await handler(
      sqsEvent([sqsRecord({ leafUserId: grower.leafUserId, secretId: missing })]),
      lambdaContext(),
    );

    // THEN the record says the request failed, and still names the credential Leaf holds
    const after = await env.runtime.store.get(grower.leafUserId, 'cnhi');
    expect(after).toMatchObject({ state: 'FAILED', reasonCode: 'SECRET_NOT_FOUND' });
    expect(after?.credentialId).toBe(before?.credentialId);
    expect(env.sandbox.credentials(grower.leafUserId)?.id).toBe(before?.credentialId);
  });

  it('applies a request after a refused copy of it with a later time', async () => {
    // GIVEN a copy refused for its requestedAt, as a redrive of it would come, sent after the
    // request it stood for
    const grower = await newGrower();
    const handler = createProvisionHandler(env.provisionConfig);
    const refused = sqsRecord({
      leafUserId: grower.leafUserId,
      secretId: grower.secretId,
      requestedAt: '2026-01-01T00:00:00', // no zone
    });
    await handler(sqsEvent([refused]), lambdaContext());

    // WHEN the request itself comes, dated before the refused copy was sent
    const real = sqsRecord({
      leafUserId: grower.leafUserId,
      secretId: grower.secretId,
      requestedAt: minutesAgo(1),
    });
    const answer = await handler(sqsEvent([real]), lambdaContext());

    // THEN it is applied, not skipped as stale
    expect(answer.batchItemFailures).toEqual([]);
    expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toMatchObject({
      state: 'PROVISIONED',
      lastMessageId: real.messageId,
    });
    expect(env.sandbox.credentials(grower.leafUserId)).toBeDefined();
  });

  it('lets no newer request act while a timed-out POST may still land at Leaf', async () => {
    // GIVEN a provision whose POST Leaf applies only after the client has given up
    const grower = await newGrower();
    const timeoutMs = 300;
    const provision = createProvisionHandler({
      ...env.provisionConfig,
      leafRequestTimeoutMs: timeoutMs,
    });
    const deprovision = createDeprovisionHandler({
      ...env.deprovisionConfig,
      leafRequestTimeoutMs: timeoutMs,
    });
    env.sandbox.injectFault({
      kind: 'latency',
      ms: timeoutMs + 200,
      times: 1,
      match: { method: 'POST', path: grower.leafUserId },
    });
    const older = sqsRecord({
      leafUserId: grower.leafUserId,
      secretId: grower.secretId,
      requestedAt: minutesAgo(2),
    });
    const newer = sqsRecord({ leafUserId: grower.leafUserId, requestedAt: minutesAgo(1) });
    const again = (record: typeof older) =>
      sqsEvent([{ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } }]);

    // WHEN the newer deprovision arrives while the late POST is still on its way
    const timedOut = await provision(sqsEvent([older]), lambdaContext());
    const heldAfterFailure = await env.runtime.store.get(grower.leafUserId, 'cnhi');
    const whileInFlight = await deprovision(sqsEvent([newer]), lambdaContext());
    await sleep(timeoutMs + 300);
    const retried = await provision(again(older), lambdaContext());
    const applied = await deprovision(again(newer), lambdaContext());

    // THEN the deprovision waits, and runs only after the provision settled what Leaf holds
    expect(timedOut.batchItemFailures).toEqual([{ itemIdentifier: older.messageId }]);
    expect(heldAfterFailure).toMatchObject({ state: 'RETRYING', reasonCode: 'LEAF_TIMEOUT' });
    expect(whileInFlight.batchItemFailures).toEqual([{ itemIdentifier: newer.messageId }]);
    expect(retried.batchItemFailures).toEqual([]);
    expect(applied.batchItemFailures).toEqual([]);
    expect(env.sandbox.credentials(grower.leafUserId)).toBeUndefined();
    expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toMatchObject({
      state: 'REMOVED',
      lastMessageId: newer.messageId,
    });
  });

  it('skips a provision requested before an already applied deprovision', async () => {
    // GIVEN a deprovision requested a minute ago has been applied
    const grower = await newGrower();
    await env.enqueueDeprovision({ leafUserId: grower.leafUserId, requestedAt: minutesAgo(1) });
    await env.drain();

    // WHEN an older provision arrives late
    await env.enqueueProvision({
      leafUserId: grower.leafUserId,
      secretId: grower.secretId,
      requestedAt: minutesAgo(2),
    });
    await env.drain();

    // THEN
    expect(env.sandbox.credentials(grower.leafUserId)).toBeUndefined();
    expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toMatchObject({
      state: 'REMOVED',
    });
    const outcomes = (await env.runtime.store.history(grower.leafUserId)).map(
      (entry) => entry.outcome,
    );
    expect(outcomes.sort()).toEqual(['REMOVED', 'SKIPPED_STALE']);
  });

  it('skips a deprovision requested before an already applied provision', async () => {
    // GIVEN
    const grower = await newGrower();
    await env.enqueueProvision({
      leafUserId: grower.leafUserId,
      secretId: grower.secretId,
      requestedAt: minutesAgo(1),
    });
    await env.drain();

    // WHEN
    await env.enqueueDeprovision({ leafUserId: grower.leafUserId, requestedAt: minutesAgo(2) });
    await env.drain();

    // THEN
    expect(env.sandbox.credentials(grower.leafUserId)).toBeDefined();
    expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toMatchObject({
      state: 'PROVISIONED',
    });
  });

  it('keeps a dead-lettered request stale after redrive when a newer one was applied meanwhile', async () => {
    // GIVEN a provision dead-lettered because its secret was missing, then a newer deprovision
    const grower = await newGrower();
    const missing = `${env.resources.growerSecretPrefix}not-yet-${grower.leafUserId}`;
    await env.enqueueProvision({ leafUserId: grower.leafUserId, secretId: missing });
    await env.drain();
    await env.enqueueDeprovision({ leafUserId: grower.leafUserId });
    await env.drain();
    await env.putGrowerSecret(`not-yet-${grower.leafUserId}`, canaryCredentials('STAGE'));

    // WHEN the dead letter is redriven to its source queue
    const dead = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: env.resources.provisioningDlqUrl,
        MaxNumberOfMessages: 10,
      }),
    );
    const ours = dead.Messages?.find((message) => message.Body?.includes(grower.leafUserId));
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: env.resources.provisioningQueueUrl,
        MessageBody: ours?.Body,
      }),
    );
    await env.drain();

    // THEN
    expect(ours).toBeDefined();
    expect(env.sandbox.credentials(grower.leafUserId)).toBeUndefined();
    expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toMatchObject({
      state: 'REMOVED',
    });
  });

  it('keeps the order of requests for one user inside a batch', async () => {
    // GIVEN two secrets for one user, and a batch that provisions the first, then the second
    const grower = await newGrower();
    const second = await env.putGrowerSecret(`${grower.leafUserId}-v2`, canaryCredentials('STAGE'));
    const handler = createProvisionHandler(env.provisionConfig);
    const batch = sqsEvent([
      sqsRecord({
        leafUserId: grower.leafUserId,
        secretId: grower.secretId,
        requestedAt: minutesAgo(2),
      }),
      sqsRecord({ leafUserId: grower.leafUserId, secretId: second, requestedAt: minutesAgo(1) }),
    ]);

    // WHEN
    const answer = await handler(batch, lambdaContext());

    // THEN
    expect(answer.batchItemFailures).toEqual([]);
    expect(env.sandbox.credentials(grower.leafUserId)?.clientEnvironment).toBe('STAGE');
  });

  it('renews the Leaf token once when it expires with a batch in flight', async () => {
    // GIVEN a warm handler holding a token
    const handler = createProvisionHandler(env.provisionConfig);
    const warm = await newGrower();
    await handler(
      sqsEvent([sqsRecord({ leafUserId: warm.leafUserId, secretId: warm.secretId })]),
      lambdaContext(),
    );
    const growers = await Promise.all(Array.from({ length: 10 }, newGrower));
    env.sandbox.expireTokens();
    const authBefore = env.sandbox.stats().authCalls;

    // WHEN
    const answer = await handler(
      sqsEvent(growers.map((g) => sqsRecord({ leafUserId: g.leafUserId, secretId: g.secretId }))),
      lambdaContext(),
    );

    // THEN
    expect(answer.batchItemFailures).toEqual([]);
    expect(env.sandbox.stats().authCalls - authBefore).toBe(1);
  });

  it('leaves a record on the queue without starting it when too little time is left', async () => {
    // GIVEN
    const grower = await newGrower();
    const handler = createProvisionHandler(env.provisionConfig);
    const record = sqsRecord({ leafUserId: grower.leafUserId, secretId: grower.secretId });

    // WHEN
    const answer = await handler(sqsEvent([record]), lambdaContext({ remainingMs: 1_000 }));

    // THEN
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(env.sandbox.credentials(grower.leafUserId)).toBeUndefined();
    expect(await env.runtime.store.get(grower.leafUserId, 'cnhi')).toBeUndefined();
  });
});
