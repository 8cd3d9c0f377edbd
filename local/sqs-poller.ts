import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type {
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttributes,
  SQSRecord,
  SQSRecordAttributes,
} from 'aws-lambda';
import { createLambdaContext } from './lambda-context';

// Why not sqs-consumer (installed, v14): its batch mode maps poorly onto Lambda's event source
// mapping. (1) One consumer keeps one batch in flight, so concurrent invocations would need several
// consumers and our own bookkeeping; (2) its batch handler returns the messages to delete, and a
// void return deletes none, the opposite of Lambda, where void means the whole batch succeeded;
// (3) its handleMessageTimeout applies to single messages only, not batches; (4) stop() does not
// wait for running handlers (it re-checks on a 1 s timer). Wrapping all that would leave it only
// the receive loop, which is the small part below.

/** A Lambda handler for SQS events, as the functions export it. */
export type SqsEventHandler = (
  event: SQSEvent,
  context: Context,
  // biome-ignore lint/suspicious/noConfusingVoidType: as in aws-lambda's SQSHandler, so that a handler declared to return nothing fits.
) => Promise<SQSBatchResponse | void>;

/** How the poller reads the queue and invokes the handler. */
export interface SqsPollerOptions {
  readonly queueUrl: string;
  /**
   * The queue's ARN, put in each record's `eventSourceARN`.
   * @default - read from the queue's QueueArn attribute when polling starts
   */
  readonly queueArn?: string;
  readonly handler: SqsEventHandler;
  /**
   * Name in the Lambda context.
   * @default - the queue's name
   */
  readonly functionName?: string;
  /**
   * Messages per invocation, at most 10 (one ReceiveMessage call; no batching window here).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * Invocations running at once, like the event source mapping's MaximumConcurrency.
   * @default 2
   */
  readonly maxConcurrency?: number;
  /**
   * The function's timeout: the context counts down from it, and an invocation still running when
   * it lapses counts as failed.
   * @default 30_000
   */
  readonly functionTimeoutMs?: number;
  /**
   * Long-polling wait of each ReceiveMessage call; Lambda's pollers wait 20 s.
   * @default 20
   */
  readonly waitTimeSeconds?: number;
  /**
   * The client for the queue.
   * @default - a client from the SDK's default resolution (AWS_ENDPOINT_URL, AWS_REGION, ...)
   */
  readonly sqs?: SQSClient;
  /**
   * Receives failed invocations (as {@link SqsInvocationError}, like the runtime's "Invoke Error"
   * log line) and the poller's own receive and delete errors.
   * @default - prints them with console.error
   */
  readonly onError?: (error: unknown) => void;
}

/** Running totals since the poller was created. */
export interface SqsPollerStats {
  /** Non-empty batches received. */
  batches: number;
  /** Handler invocations (one per batch). */
  invocations: number;
  /** Invocations that threw. */
  invocationErrors: number;
  /** Invocations that ran past the function timeout. */
  timeouts: number;
  /** Messages deleted after their invocation. */
  deleted: number;
  /** Messages left on the queue for redelivery (reported as failed, or their batch failed). */
  failed: number;
  /** Messages whose deletion SQS refused or that could not be sent. */
  deleteErrors: number;
}

/** Options for {@link SqsPoller.runUntilIdle}. */
export interface RunUntilIdleOptions {
  /**
   * How long the queue must stay empty, with nothing in flight, to count as idle.
   * @default 1_000
   */
  readonly idleMs?: number;
  /**
   * Rejects when the queue is still busy after this long.
   * @default 60_000
   */
  readonly timeoutMs?: number;
}

/** An invocation threw or timed out; its whole batch stays on the queue. */
export class SqsInvocationError extends Error {
  override name = 'SqsInvocationError';

  constructor(
    message: string,
    /** The messages of the failed batch. */
    readonly messageIds: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The queue did not become idle in time; the message gives the last counts seen. */
export class SqsPollerTimeoutError extends Error {
  override name = 'SqsPollerTimeoutError';
}

type Outcome =
  | { readonly kind: 'returned'; readonly value: unknown }
  | { readonly kind: 'threw'; readonly error: unknown }
  | { readonly kind: 'timedOut' };

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

// Lambda's shape: camel-case keys, bytes as base64, and both list fields always present.
const toRecordMessageAttributes = (
  attributes: Record<string, MessageAttributeValue> = {},
): SQSMessageAttributes =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
        ...(value.BinaryValue === undefined ? {} : { binaryValue: toBase64(value.BinaryValue) }),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map(toBase64),
        dataType: value.DataType ?? 'String',
      },
    ]),
  );

const toRecord = (message: Message, eventSourceARN: string, awsRegion: string): SQSRecord => {
  const attributes: Record<string, string | undefined> = message.Attributes ?? {};

  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    // Lambda passes on every system attribute SQS returns (AWSTraceHeader, DeadLetterQueueSourceArn…).
    attributes: {
      ...attributes,
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
    } satisfies SQSRecordAttributes,
    messageAttributes: toRecordMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes === undefined
      ? {}
      : { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion,
  };
};

/**
 * The message ids to keep on the queue, following Lambda's rules for ReportBatchItemFailures: no
 * response or no failure list means all succeeded; an itemIdentifier that is missing, empty or not
 * in the batch makes the whole batch fail.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
const failedMessageIds = (outcome: Outcome, batchIds: ReadonlySet<string>): Set<string> => {
  if (outcome.kind !== 'returned') return new Set(batchIds);
  const failures = (outcome.value as Partial<SQSBatchResponse> | null | undefined)
    ?.batchItemFailures;
  if (!Array.isArray(failures)) return new Set();

  const failed = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !batchIds.has(id)) return new Set(batchIds);
    failed.add(id);
  }

  return failed;
};

const queueNameOf = (queueUrl: string) => queueUrl.slice(queueUrl.lastIndexOf('/') + 1);

const requireInteger = (name: string, value: number, min: number, max: number) => {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max} (given ${value})`);
  }
};

/**
 * Polls one queue and invokes a handler with Lambda's SQS event, context and deletion rules, as
 * the event source mapping (with ReportBatchItemFailures) would in AWS.
 */
export class SqsPoller {
  readonly #queueUrl: string;
  readonly #handler: SqsEventHandler;
  readonly #functionName: string;
  readonly #batchSize: number;
  readonly #maxConcurrency: number;
  readonly #functionTimeoutMs: number;
  readonly #waitTimeSeconds: number;
  readonly #sqs: SQSClient;
  readonly #onError: (error: unknown) => void;
  readonly #stats: SqsPollerStats = {
    batches: 0,
    invocations: 0,
    invocationErrors: 0,
    timeouts: 0,
    deleted: 0,
    failed: 0,
    deleteErrors: 0,
  };
  #queueArn: string | undefined;
  #region: string | undefined;
  #running = false;
  #activeInvocations = 0;
  #abort = new AbortController();
  #workers: Promise<void>[] = [];

  constructor(options: SqsPollerOptions) {
    this.#batchSize = options.batchSize ?? 10;
    this.#maxConcurrency = options.maxConcurrency ?? 2;
    this.#functionTimeoutMs = options.functionTimeoutMs ?? 30_000;
    this.#waitTimeSeconds = options.waitTimeSeconds ?? 20;
    requireInteger('batchSize', this.#batchSize, 1, 10);
    requireInteger('maxConcurrency', this.#maxConcurrency, 1, 1000);
    requireInteger('functionTimeoutMs', this.#functionTimeoutMs, 1, 900_000);
    requireInteger('waitTimeSeconds', this.#waitTimeSeconds, 0, 20);

    this.#queueUrl = options.queueUrl;
    this.#queueArn = options.queueArn;
    this.#handler = options.handler;
    this.#functionName = options.functionName ?? queueNameOf(options.queueUrl);
    this.#sqs = options.sqs ?? new SQSClient({});
    this.#onError =
      options.onError ?? ((error) => console.error(`sqs-poller ${this.#queueUrl}:`, error));
  }

  /** A copy of the running totals. */
  get stats(): SqsPollerStats {
    return { ...this.#stats };
  }

  /** Whether the poller is polling. */
  get running(): boolean {
    return this.#running;
  }

  /** Starts `maxConcurrency` pollers; each receives a batch, invokes the handler, and repeats. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    this.#workers = Array.from({ length: this.#maxConcurrency }, () => this.#poll());
  }

  /**
   * Stops polling: cancels waiting receives and resolves once running invocations have finished
   * (each is bounded by the function timeout) and their messages are deleted.
   */
  async stop(): Promise<SqsPollerStats> {
    if (this.#running) {
      this.#running = false;
      this.#abort.abort();
      await Promise.all(this.#workers);
    }

    return this.stats;
  }

  /**
   * Polls until the queue has no visible, delayed or in-flight message and no invocation running
   * for `idleMs`, then resolves with the totals. Starts the poller if needed and then stops it
   * again; a poller that was already running is left running.
   */
  async runUntilIdle(options: RunUntilIdleOptions = {}): Promise<SqsPollerStats> {
    const idleMs = options.idleMs ?? 1_000;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const checkEveryMs = Math.min(250, Math.max(50, idleMs / 4));
    const wasRunning = this.#running;
    this.start();
    try {
      const deadline = Date.now() + timeoutMs;
      let idleSince: number | undefined;
      for (;;) {
        const counts = await this.#queueCounts();
        const now = Date.now();
        const busy = Object.values(counts).some((count) => count > 0);
        idleSince = busy ? undefined : (idleSince ?? now);
        if (idleSince !== undefined && now - idleSince >= idleMs) return this.stats;
        if (now >= deadline) {
          throw new SqsPollerTimeoutError(
            `queue ${this.#queueUrl} still busy after ${timeoutMs} ms: ${JSON.stringify(counts)}`,
          );
        }
        await sleep(checkEveryMs);
      }
    } finally {
      if (!wasRunning) await this.stop();
    }
  }

  async #queueCounts() {
    const { Attributes = {} } = await this.#sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.#queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );

    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
      runningInvocations: this.#activeInvocations,
    };
  }

  async #eventSource() {
    this.#region ??= await this.#sqs.config.region();
    this.#queueArn ??= (
      await this.#sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: this.#queueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn;
    if (!this.#queueArn) throw new Error(`queue ${this.#queueUrl} has no QueueArn attribute`);

    return { arn: this.#queueArn, region: this.#region };
  }

  async #poll() {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        const source = await this.#eventSource();
        const { Messages = [] } = await this.#sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.#queueUrl,
            MaxNumberOfMessages: this.#batchSize,
            WaitTimeSeconds: this.#waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        );
        if (Messages.length > 0) {
          await this.#invoke(Messages, source.arn, source.region);
        } else if (this.#waitTimeSeconds === 0) {
          // Short polling returns at once; without a pause an empty queue would be hammered.
          await sleep(200, undefined, { signal }).catch(() => undefined);
        }
      } catch (error) {
        if (signal.aborted) return;
        this.#onError(error);
        await sleep(1_000, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  async #invoke(messages: Message[], eventSourceArn: string, region: string) {
    this.#stats.batches += 1;
    this.#stats.invocations += 1;
    this.#activeInvocations += 1;
    try {
      const event: SQSEvent = { Records: messages.map((m) => toRecord(m, eventSourceArn, region)) };
      const context = createLambdaContext({
        functionName: this.#functionName,
        timeoutMs: this.#functionTimeoutMs,
        region,
        accountId: eventSourceArn.split(':')[4],
      });
      const outcome = await this.#runHandler(event, context);
      const batchIds = new Set(event.Records.map((record) => record.messageId));
      if (outcome.kind === 'threw') {
        this.#stats.invocationErrors += 1;
        this.#onError(
          new SqsInvocationError(`${this.#functionName} threw`, [...batchIds], {
            cause: outcome.error,
          }),
        );
      }
      if (outcome.kind === 'timedOut') {
        this.#stats.timeouts += 1;
        this.#onError(
          new SqsInvocationError(
            `${this.#functionName} timed out after ${this.#functionTimeoutMs} ms`,
            [...batchIds],
          ),
        );
      }

      const failed = failedMessageIds(outcome, batchIds);
      this.#stats.failed += failed.size;
      await this.#delete(event.Records.filter((record) => !failed.has(record.messageId)));
    } finally {
      this.#activeInvocations -= 1;
    }
  }

  async #runHandler(event: SQSEvent, context: Context): Promise<Outcome> {
    // Lambda would freeze a timed-out sandbox; here the handler's promise runs on in the background
    // and its late result is ignored, which is as close as one process can get.
    const handled = Promise.resolve()
      .then(() => this.#handler(event, context))
      .then(
        (value): Outcome => ({ kind: 'returned', value }),
        (error: unknown): Outcome => ({ kind: 'threw', error }),
      );
    const timer = new AbortController();
    const timedOut = sleep(this.#functionTimeoutMs, { kind: 'timedOut' } as const, {
      signal: timer.signal,
    }).catch(() => ({ kind: 'timedOut' }) as const);
    try {
      return await Promise.race([handled, timedOut]);
    } finally {
      timer.abort();
    }
  }

  async #delete(records: SQSRecord[]) {
    if (records.length === 0) return;
    try {
      const { Successful = [], Failed = [] } = await this.#sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#queueUrl,
          Entries: records.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
          })),
        }),
      );
      this.#stats.deleted += Successful.length;
      this.#stats.deleteErrors += Failed.length;
      if (Failed.length > 0) this.#onError(new Error(`delete failed: ${JSON.stringify(Failed)}`));
    } catch (error) {
      this.#stats.deleteErrors += records.length;
      this.#onError(error);
    }
  }
}
