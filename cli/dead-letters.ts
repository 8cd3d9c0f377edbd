import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueueName, QueuePair } from './queues';
import { checkRequestBody } from './request-check';

/** What the command shows of a dead-lettered message: its reason, and names, never values. */
export interface DeadLetter {
  readonly queue: QueueName;
  readonly messageId: string;
  /** The request's own message id, before it was dead-lettered. */
  readonly originalMessageId?: string;
  readonly reasonCode?: string;
  readonly reasonMessage?: string;
  /** Deliveries of the request before it was dead-lettered. */
  readonly receiveCount?: string;
  readonly failedAt?: string;
  readonly leafUserId?: string;
  readonly provider?: string;
  readonly secretId?: string;
  /** Why the body was not kept (the request carried credentials, or was too large). */
  readonly bodyWithheld?: string;
}

/** A dead-letter queue's contents as far as one look shows them. */
export interface DeadLetterQueueView {
  readonly queue: QueueName;
  readonly url: string;
  /** SQS's own count of visible messages, which may exceed what was shown. */
  readonly approximateCount: number;
  /**
   * Messages received by someone else and not yet back (SQS's count of invisible ones): a redrive
   * under way, or another look. They are not shown, but the queue is not empty.
   */
  readonly inFlightCount: number;
  readonly letters: DeadLetter[];
}

// Long enough to read a few hundred messages without seeing one twice; each is made visible
// again at once afterwards, so a redrive right after a look does not wait for it.
const hideSeconds = 30;
const secretNamePattern = /^[A-Za-z0-9/_+=.@:-]{1,2048}$/;
const codePattern = /^[A-Z_]{1,64}$/;

const attribute = (message: Message, name: string) =>
  message.MessageAttributes?.[name]?.StringValue;

// Only fields the functions' own parser accepts are shown; anything else in a body stays unread,
// however harmless it looks, since a producer may have put anything there.
const safeFields = (body: string, pair: QueuePair) => {
  try {
    const parsed: unknown = JSON.parse(body);
    const withheld = (parsed as { bodyWithheld?: unknown } | null)?.bodyWithheld;
    if (typeof withheld === 'string') {
      return { bodyWithheld: codePattern.test(withheld) ? withheld : 'yes' };
    }
  } catch {
    return {};
  }
  const result = checkRequestBody(body, pair.operation);
  if (!result.ok) {
    return { leafUserId: result.identity?.leafUserId, provider: result.identity?.provider };
  }
  const { leafUserId, provider, secretId } = result.request;

  return {
    leafUserId,
    provider,
    secretId: secretId && secretNamePattern.test(secretId) ? secretId : undefined,
  };
};

const toDeadLetter = (message: Message, pair: QueuePair): DeadLetter => {
  const reasonCode = attribute(message, 'reasonCode');

  return {
    queue: pair.name,
    messageId: message.MessageId ?? '',
    originalMessageId: attribute(message, 'originalMessageId'),
    reasonCode,
    // A message moved by the queue's redrive policy carries no reason: the function never
    // finished with it (a crash or a timeout on every delivery).
    reasonMessage:
      attribute(message, 'reasonMessage') ??
      (reasonCode ? undefined : 'moved by the redrive policy: the function crashed or timed out'),
    receiveCount: attribute(message, 'receiveCount'),
    failedAt:
      attribute(message, 'failedAt') ??
      new Date(Number(message.Attributes?.SentTimestamp ?? 0)).toISOString(),
    ...safeFields(message.Body ?? '', pair),
  };
};

const release = async (sqs: SQSClient, queueUrl: string, receipts: string[]) => {
  for (let i = 0; i < receipts.length; i += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: receipts.slice(i, i + 10).map((receipt, index) => ({
          Id: String(index),
          ReceiptHandle: receipt,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
};

/** SQS's approximate counts of the visible and the in-flight (received, invisible) messages. */
const messageCounts = async (sqs: SQSClient, queueUrl: string) => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );

  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
};

/** SQS's approximate count of the visible messages on a queue. */
export const visibleCount = async (sqs: SQSClient, queueUrl: string): Promise<number> =>
  (await messageCounts(sqs, queueUrl)).visible;

/**
 * Looks at up to `max` messages of a dead-letter queue without taking them: each is received,
 * read and then made visible again. Receiving counts as a delivery, which a dead-letter queue
 * does not act on.
 */
export const peekDeadLetters = async (
  sqs: SQSClient,
  pair: QueuePair,
  max: number,
): Promise<DeadLetterQueueView> => {
  const { visible: approximateCount, inFlight: inFlightCount } = await messageCounts(
    sqs,
    pair.deadLetterUrl,
  );
  const seen = new Map<string, DeadLetter>();
  const receipts: string[] = [];
  try {
    while (seen.size < max) {
      const asked = Math.min(10, max - seen.size);
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: pair.deadLetterUrl,
          MaxNumberOfMessages: asked,
          VisibilityTimeout: hideSeconds,
          // Long polling asks every SQS server; a short poll may miss messages on a small queue.
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
      );
      const fresh = Messages.filter((message) => !seen.has(message.MessageId ?? ''));
      receipts.push(...Messages.map((message) => message.ReceiptHandle ?? ''));
      if (fresh.length === 0) {
        break;
      }
      for (const message of fresh) {
        seen.set(message.MessageId ?? '', toDeadLetter(message, pair));
      }
      // A short page once the count is reached means the queue is through; asking again would
      // only wait out another long poll.
      if (Messages.length < asked && seen.size >= approximateCount) {
        break;
      }
    }
  } finally {
    await release(sqs, pair.deadLetterUrl, receipts.filter(Boolean));
  }

  return {
    queue: pair.name,
    url: pair.deadLetterUrl,
    approximateCount,
    inFlightCount,
    letters: [...seen.values()],
  };
};
