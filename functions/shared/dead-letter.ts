import {
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { type ProvisionerError, TransientError } from './errors';
import { isSecretNameOrArn } from './grower-secret';
import { contractFieldShapes } from './requests';

// Bodies that must not be copied at all: one carries credentials (secrets never ride on queues),
// the other is larger than a queue takes.
const withheldReasons = new Set(['INLINE_CREDENTIALS', 'MESSAGE_TOO_LARGE']);

// Only the contract's fields are copied, and only as short strings: whatever else a producer put
// in a body is unknown, and unknown content may be a secret under a name no check foresaw.
const contractFields = ['leafUserId', 'secretId', 'provider', 'requestedAt', 'correlationId'];
const maxFieldLength = 2048;

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/**
 * The body to dead-letter: the contract's fields of the original, or a note when there is nothing
 * safe to copy. A body without `requestedAt` is ordered by its send time; the copy is a new message
 * with a new send time, so the original time is written into it, or a redriven copy would look
 * newer than requests that came after it.
 */
const deadLetterBody = (record: SQSRecord, reason: string, requestedAt?: string): string => {
  const note = () => JSON.stringify({ bodyWithheld: reason, originalMessageId: record.messageId });
  if (withheldReasons.has(reason)) {
    return note();
  }
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    return note();
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return note();
  }
  const fields = body as Record<string, unknown>;
  const copy: Record<string, string> = {};
  for (const field of contractFields) {
    const value = fields[field];
    // A value not shaped like its field may be a secret pasted in by mistake: it is left out.
    const shaped = field === 'secretId' ? isSecretNameOrArn : contractFieldShapes[field];
    if (typeof value === 'string' && value.length <= maxFieldLength && shaped?.(value)) {
      copy[field] = value;
    }
  }
  copy.requestedAt ??= requestedAt as string;

  return JSON.stringify(copy);
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
