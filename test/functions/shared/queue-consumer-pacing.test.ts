import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { ConsumerConfig } from '../../../functions/shared/env';
import { TransientError } from '../../../functions/shared/errors';
import type { OutcomePublisher } from '../../../functions/shared/outcome-events';
import { createQueueConsumer, type RequestWork } from '../../../functions/shared/queue-consumer';
import type { StatusStore } from '../../../functions/shared/status-store';
import { createLambdaContext } from '../../../local/lambda-context';

const config: ConsumerConfig = {
  leafApiBaseUrl: 'https://leaf.example.test',
  leafApiOwnerSecretId: 'leaf/api-owner',
  leafRequestTimeoutMs: 8_000,
  statusTableName: 'status',
  sourceQueueUrl: 'https://sqs.example.test/provision',
  deadLetterQueueUrl: 'https://sqs.example.test/provision-dlq',
  maxAttempts: 5,
  retryBaseDelaySeconds: 10,
  retryMaxDelaySeconds: 900,
  recordConcurrency: 1,
  outcomeEventBusName: 'outcomes',
};

const record: SQSRecord = {
  messageId: 'message-1',
  receiptHandle: 'receipt-1',
  body: JSON.stringify({
    leafUserId: '6f1d1c4e-8a43-4c2b-9a35-0d3c5d2b7e11',
    secretId: 'leaf/cnhi/grower-1',
  }),
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: String(Date.now()),
    SenderId: 'producer',
    ApproximateFirstReceiveTimestamp: String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:provision',
  awsRegion: 'us-east-1',
};
const event: SQSEvent = { Records: [record] };

/** The consumer with in-memory stand-ins for the table, the queue and the bus. */
const consumerWith = (work: RequestWork, leafPaceWaitMs: () => number) => {
  const store = {
    claim: jest.fn(async () => ({ kind: 'claimed' as const })),
    complete: jest.fn(async () => undefined),
    recordRetry: jest.fn(async () => undefined),
    settledEntry: jest.fn(async () => undefined),
  };
  const sqs = { send: jest.fn(async (_command: unknown) => ({})) };
  const events: OutcomePublisher = { publish: jest.fn(async () => undefined) };
  const handler = createQueueConsumer({
    operation: 'PROVISION',
    config,
    work,
    store: store as unknown as StatusStore,
    sqs: sqs as unknown as SQSClient,
    events,
    leafPaceWaitMs,
  });
  const visibilityTimeouts = () =>
    sqs.send.mock.calls
      .map((call) => call[0])
      .filter((command) => command instanceof ChangeMessageVisibilityCommand)
      .map((command) => (command as ChangeMessageVisibilityCommand).input.VisibilityTimeout);

  return { handler, store, visibilityTimeouts };
};

describe('queue consumer and the Leaf pacer', () => {
  it('defers a record, before taking its lease, when its first Leaf slot leaves no whole attempt', async () => {
    // GIVEN 20 s of invocation left, an 8 s request timeout, 3 s reserve and a 10 s pace queue
    const work = jest.fn<ReturnType<RequestWork>, Parameters<RequestWork>>();
    const { handler, store, visibilityTimeouts } = consumerWith(work, () => 10_000);
    const context = createLambdaContext({ functionName: 'provision', timeoutMs: 20_000 });

    // WHEN
    const answer = await handler(event, context);

    // THEN it comes back in 2 s, untouched: no lease, no work
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(store.claim).not.toHaveBeenCalled();
    expect(work).not.toHaveBeenCalled();
    expect(visibilityTimeouts()).toEqual([2]);
  });

  it('starts the same record when the pace queue is short enough', async () => {
    // GIVEN the same invocation with a 5 s pace queue
    const work: RequestWork = async () => ({ state: 'PROVISIONED', action: 'CREATED' });
    const { handler, store } = consumerWith(work, () => 5_000);
    const context = createLambdaContext({ functionName: 'provision', timeoutMs: 20_000 });

    // WHEN
    const answer = await handler(event, context);

    // THEN
    expect(answer.batchItemFailures).toEqual([]);
    expect(store.complete).toHaveBeenCalledTimes(1);
  });

  it('releases the lease and comes back in 2 s, not after a backoff, when no slot was left mid-way', async () => {
    // GIVEN the Leaf client found no pace slot before the deadline
    const work: RequestWork = async () => {
      throw new TransientError('NOT_ENOUGH_TIME', 'no Leaf request slot before the deadline');
    };
    const { handler, store, visibilityTimeouts } = consumerWith(work, () => 0);
    const context = createLambdaContext({ functionName: 'provision', timeoutMs: 30_000 });

    // WHEN
    const answer = await handler(event, context);

    // THEN
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(store.recordRetry).toHaveBeenCalledWith(
      expect.objectContaining({ messageId: 'message-1' }),
      'NOT_ENOUGH_TIME',
      'no Leaf request slot before the deadline',
      0, // held for no time: released
    );
    expect(store.complete).not.toHaveBeenCalled();
    expect(visibilityTimeouts()).toEqual([2]);
  });
});
