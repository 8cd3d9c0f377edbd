import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SqsInvocationError, SqsPoller, SqsPollerTimeoutError } from '../../local/sqs-poller';
import { uniquePrefix } from '../helpers/aws-env';

const sqs = new SQSClient({});
const createdQueues: string[] = [];

const createQueue = async (visibilityTimeoutSeconds = 1) => {
  const { QueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({
      QueueName: uniquePrefix('poller'),
      Attributes: { VisibilityTimeout: String(visibilityTimeoutSeconds) },
    }),
  );
  createdQueues.push(QueueUrl);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );

  return { url: QueueUrl, arn: Attributes?.QueueArn ?? '' };
};

const send = async (queueUrl: string, ...bodies: string[]) => {
  const ids: string[] = [];
  for (const body of bodies) {
    const { MessageId = '' } = await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }),
    );
    ids.push(MessageId);
  }

  return ids;
};

const queueCounts = async (queueUrl: string) => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );

  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
};

const waitFor = async (condition: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
};

const quiet = () => undefined;

afterAll(async () => {
  await Promise.all(
    createdQueues.map((url) => sqs.send(new DeleteQueueCommand({ QueueUrl: url }))),
  );
  sqs.destroy();
});

describe('SqsPoller', () => {
  it("builds Lambda's SQS event and context when it invokes the handler", async () => {
    // GIVEN
    const queue = await createQueue();
    const { MessageId } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: '{"leafUserId":"u-1"}',
        MessageAttributes: {
          traceId: { DataType: 'String', StringValue: 'abc' },
          attempt: { DataType: 'Number', StringValue: '3' },
          blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    const invocations: { event: SQSEvent; context: Context; remainingMs: number }[] = [];
    const poller = new SqsPoller({
      queueUrl: queue.url,
      functionName: 'provision',
      functionTimeoutMs: 5_000,
      waitTimeSeconds: 1,
      handler: async (event, context) => {
        invocations.push({ event, context, remainingMs: context.getRemainingTimeInMillis() });
      },
    });

    // WHEN
    await poller.runUntilIdle({ idleMs: 200, timeoutMs: 10_000 });

    // THEN
    expect(invocations).toHaveLength(1);
    const [{ event, context, remainingMs }] = invocations;
    expect(event.Records).toHaveLength(1);
    const [record] = event.Records;
    expect(record).toMatchObject({
      messageId: MessageId,
      body: '{"leafUserId":"u-1"}',
      md5OfBody: createHash('md5').update('{"leafUserId":"u-1"}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      messageAttributes: {
        traceId: {
          stringValue: 'abc',
          stringListValues: [],
          binaryListValues: [],
          dataType: 'String',
        },
        attempt: {
          stringValue: '3',
          stringListValues: [],
          binaryListValues: [],
          dataType: 'Number',
        },
        blob: {
          binaryValue: 'AQID',
          stringListValues: [],
          binaryListValues: [],
          dataType: 'Binary',
        },
      },
    });
    expect(record.receiptHandle).not.toBe('');
    expect(record.attributes).toMatchObject({
      ApproximateReceiveCount: '1',
      SentTimestamp: expect.stringMatching(/^\d{13}$/),
      SenderId: expect.any(String),
      ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
    });
    expect(context.functionName).toBe('provision');
    expect(remainingMs).toBeGreaterThan(4_000);
    expect(remainingMs).toBeLessThanOrEqual(5_000);
  });

  it('deletes only the messages not listed in batchItemFailures when the handler reports some', async () => {
    // GIVEN
    const queue = await createQueue(2);
    const [failingId] = await send(queue.url, 'fail', 'ok-1', 'ok-2');
    const poller = new SqsPoller({
      queueUrl: queue.url,
      maxConcurrency: 1,
      waitTimeSeconds: 1,
      handler: async (event): Promise<SQSBatchResponse> => ({
        batchItemFailures: event.Records.filter((record) => record.body === 'fail').map(
          (record) => ({
            itemIdentifier: record.messageId,
          }),
        ),
      }),
    });

    // WHEN
    poller.start();
    await waitFor(() => poller.stats.deleted + poller.stats.failed === 3);
    const stats = await poller.stop();

    // THEN
    expect(stats).toMatchObject({ deleted: 2, failed: 1, invocationErrors: 0 });
    expect(await queueCounts(queue.url)).toEqual({ visible: 0, inFlight: 1 });
    await sleep(2_100);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url }));
    expect(Messages.map((message) => message.MessageId)).toEqual([failingId]);
  });

  it('deletes nothing when the handler throws', async () => {
    // GIVEN
    const queue = await createQueue(5);
    await send(queue.url, 'a', 'b');
    const errors: unknown[] = [];
    const poller = new SqsPoller({
      queueUrl: queue.url,
      maxConcurrency: 1,
      waitTimeSeconds: 1,
      onError: (error) => errors.push(error),
      handler: async () => {
        throw new Error('Leaf is down');
      },
    });

    // WHEN
    poller.start();
    await waitFor(() => poller.stats.failed === 2);
    const stats = await poller.stop();

    // THEN
    expect(stats).toMatchObject({ deleted: 0, failed: 2 });
    expect(stats.invocationErrors).toBe(stats.invocations);
    expect(errors).toHaveLength(stats.invocations);
    expect(errors[0]).toBeInstanceOf(SqsInvocationError);
    expect((errors[0] as SqsInvocationError).cause).toEqual(new Error('Leaf is down'));
    expect(await queueCounts(queue.url)).toEqual({ visible: 0, inFlight: 2 });
  });

  it('deletes nothing when the handler returns after the function timeout', async () => {
    // GIVEN
    const queue = await createQueue(5);
    await send(queue.url, 'slow');
    const poller = new SqsPoller({
      queueUrl: queue.url,
      functionTimeoutMs: 200,
      waitTimeSeconds: 1,
      onError: quiet,
      handler: async () => {
        await sleep(400);
      },
    });

    // WHEN
    poller.start();
    await waitFor(() => poller.stats.timeouts === 1);
    const stats = await poller.stop();

    // THEN
    expect(stats).toMatchObject({ deleted: 0, failed: 1, timeouts: 1 });
    expect(await queueCounts(queue.url)).toEqual({ visible: 0, inFlight: 1 });
  });

  it('fails the whole batch when an itemIdentifier is not in the batch', async () => {
    // GIVEN
    const queue = await createQueue(5);
    await send(queue.url, 'a', 'b');
    const poller = new SqsPoller({
      queueUrl: queue.url,
      maxConcurrency: 1,
      waitTimeSeconds: 1,
      handler: async () => ({ batchItemFailures: [{ itemIdentifier: 'not-a-message-id' }] }),
    });

    // WHEN
    poller.start();
    await waitFor(() => poller.stats.failed === 2);
    const stats = await poller.stop();

    // THEN
    expect(stats).toMatchObject({ deleted: 0, failed: 2, invocationErrors: 0 });
  });

  it('runs at most maxConcurrency invocations at once when messages pile up', async () => {
    // GIVEN
    const queue = await createQueue(10);
    await send(queue.url, ...Array.from({ length: 6 }, (_, index) => `m-${index}`));
    let running = 0;
    let peak = 0;
    const poller = new SqsPoller({
      queueUrl: queue.url,
      batchSize: 1,
      maxConcurrency: 2,
      waitTimeSeconds: 1,
      handler: async () => {
        running += 1;
        peak = Math.max(peak, running);
        await sleep(150);
        running -= 1;
      },
    });

    // WHEN
    const stats = await poller.runUntilIdle({ idleMs: 200, timeoutMs: 10_000 });

    // THEN
    expect(stats).toMatchObject({ invocations: 6, deleted: 6, failed: 0 });
    expect(peak).toBe(2);
  });

  it('resolves runUntilIdle once redelivered failures have succeeded', async () => {
    // GIVEN a handler that fails every first delivery
    const queue = await createQueue(1);
    await send(queue.url, 'x', 'y', 'z');
    const poller = new SqsPoller({
      queueUrl: queue.url,
      waitTimeSeconds: 1,
      handler: async (event) => ({
        batchItemFailures: event.Records.filter(
          (record) => record.attributes.ApproximateReceiveCount === '1',
        ).map((record) => ({ itemIdentifier: record.messageId })),
      }),
    });

    // WHEN
    const stats = await poller.runUntilIdle({ idleMs: 300, timeoutMs: 15_000 });

    // THEN
    expect(stats).toMatchObject({ deleted: 3, failed: 3 });
    expect(poller.running).toBe(false);
    expect(await queueCounts(queue.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('rejects runUntilIdle when the queue is still busy at timeoutMs', async () => {
    // GIVEN a message that always fails and has no dead-letter queue to go to
    const queue = await createQueue(1);
    await send(queue.url, 'poison');
    const poller = new SqsPoller({
      queueUrl: queue.url,
      waitTimeSeconds: 1,
      onError: quiet,
      handler: async () => {
        throw new Error('always');
      },
    });

    // WHEN
    const run = poller.runUntilIdle({ idleMs: 200, timeoutMs: 1_500 });

    // THEN
    await expect(run).rejects.toThrow(SqsPollerTimeoutError);
    expect(poller.running).toBe(false);
  });

  it('throws when batchSize is above what one ReceiveMessage returns', () => {
    // GIVEN
    const options = { queueUrl: 'http://127.0.0.1/q', handler: async () => undefined };

    // WHEN / THEN
    expect(() => new SqsPoller({ ...options, batchSize: 11 })).toThrow(/batchSize .* \(given 11\)/);
  });
});
