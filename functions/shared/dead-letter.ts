import {
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { type ProvisionerError, TransientError } from './errors';

// Bodies that must not be copied: one carries credentials (secrets never ride on queues), the
// other is larger than a queue takes.
const withheldReasons = new Set(['INLINE_CREDENTIALS', 'MESSAGE_TOO_LARGE']);

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/**
 * The body to dead-letter. A body without `requestedAt` is ordered by its send time; the copy is a
 * new message with a new send time, so the original time is written into it, or a redriven copy
 * would look newer than requests that came after it.
 */
const deadLetterBody = (record: SQSRecord, reason: string, requestedAt?: string): string => {
  if (withheldReasons.has(reason)) {
    return JSON.stringify({ bodyWithheld: reason, originalMessageId: record.messageId });
  }
  if (!requestedAt) {
    return record.body;
  }
  try {
    const body: unknown = JSON.parse(record.body);
    if (body && typeof body === 'object' && !Array.isArray(body) && !('requestedAt' in body)) {
      return JSON.stringify({ ...body, requestedAt });
    }
  } catch {
    // Not JSON: copied as it came.
  }

  return record.body;
};

/**
 * Moves a message that will not succeed as it is to the dead-letter queue at once, with the reason
 * in its attributes, so it waits there for a fix and a redrive instead of being retried in vain.
 */
export const sendToDeadLetterQueue = async (
  sqs: SQSClient,
  queueUrl: string,
  record: SQSRecord,
  failure: ProvisionerError,
  requestedAt?: string,
): Promise<void> => {
  try {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: deadLetterBody(record, failure.reason, requestedAt),
        MessageAttributes: {
          reasonCode: text(failure.reason),
          reasonMessage: text(failure.message.slice(0, 512)),
          originalMessageId: text(record.messageId),
          receiveCount: {
            DataType: 'Number',
            StringValue: record.attributes?.ApproximateReceiveCount ?? '1',
          },
          failedAt: text(new Date().toISOString()),
        },
      }),
    );
  } catch (error) {
    const kind = error instanceof Error ? error.name : typeof error;
    throw new TransientError('AWS_UNAVAILABLE', `dead-letter queue send failed (${kind})`);
  }
};
