import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

/** An outcome event as a rule delivers it to an SQS target: the whole EventBridge envelope. */
export interface ObservedEvent {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly time: string;
  readonly detail: Record<string, unknown>;
  /** The raw message body, for leak checks. */
  readonly raw: string;
}

/**
 * Collects the events that reach an observer queue. Each read takes what the queue holds and
 * deletes it, so tests sharing one queue still see every event: they filter the collection.
 */
export class OutcomeEventLog {
  readonly #queueUrl: string;
  readonly #sqs = new SQSClient({});
  readonly #seen: ObservedEvent[] = [];

  constructor(queueUrl: string) {
    this.#queueUrl = queueUrl;
  }

  /** Every event collected so far, after reading what the queue holds now. */
  async all(): Promise<ObservedEvent[]> {
    for (;;) {
      const page = await this.#sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        }),
      );
      const messages = page.Messages ?? [];
      if (messages.length === 0) {
        return [...this.#seen];
      }
      for (const message of messages) {
        const raw = message.Body ?? '';
        this.#seen.push({ ...(JSON.parse(raw) as Omit<ObservedEvent, 'raw'>), raw });
      }
      await this.#sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#queueUrl,
          Entries: messages.map((message, i) => ({
            Id: String(i),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
    }
  }

  /**
   * The collected events about one Leaf user, oldest first, each outcome once. Delivery is at
   * least once (a message redelivered under load announces its outcome again), so this drops
   * copies by `detail.outcomeId`, as the documentation tells consumers to.
   */
  async about(leafUserId: string): Promise<ObservedEvent[]> {
    const seen = new Set<unknown>();

    return (await this.all()).filter((event) => {
      if (event.detail.leafUserId !== leafUserId || seen.has(event.detail.outcomeId)) {
        return false;
      }
      seen.add(event.detail.outcomeId);

      return true;
    });
  }

  close(): void {
    this.#sqs.destroy();
  }
}
