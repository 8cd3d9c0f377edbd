import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { visibleCount } from './dead-letters';
import type { MoveRequest, MoveResult } from './message-move';

// Long enough to send and delete one batch; a message whose send failed shows again after it.
const hideSeconds = 30;

// SendMessage takes a value of one kind; the list kinds are reserved and never set here.
const copyAttributes = (attributes: Record<string, MessageAttributeValue> = {}) =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        DataType: value.DataType ?? 'String',
        ...(value.BinaryValue === undefined
          ? { StringValue: value.StringValue ?? '' }
          : { BinaryValue: value.BinaryValue }),
      },
    ]),
  );

/**
 * Does what a message move task does, from this process: receives from the dead-letter queue,
 * sends each message (body and attributes) to the destination, then deletes it from the source.
 * It stops after as many messages as the source held at the start, so messages that fail again
 * meanwhile are not moved twice. A crash between send and delete leaves a duplicate, which the
 * functions treat as a redelivery.
 */
export const moveByCopy = async (sqs: SQSClient, request: MoveRequest): Promise<MoveResult> => {
  const toMove = await visibleCount(sqs, request.sourceUrl);
  let moved = 0;
  let failed = 0;
  let failureReason: string | undefined;
  request.onProgress({ moved, toMove });

  while (moved + failed < toMove) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: request.sourceUrl,
        MaxNumberOfMessages: Math.min(10, toMove - moved - failed),
        VisibilityTimeout: hideSeconds,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) {
      break;
    }
    const byId = new Map<string, Message>(Messages.map((message, i) => [String(i), message]));
    const answer = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: request.destinationUrl,
        Entries: [...byId].map(([id, message]) => ({
          Id: id,
          MessageBody: message.Body ?? '',
          MessageAttributes: copyAttributes(message.MessageAttributes),
        })),
      }),
    );
    const sent = (answer.Successful ?? []).map((entry) => byId.get(entry.Id ?? ''));
    if (sent.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: request.sourceUrl,
          Entries: sent.map((message, i) => ({
            Id: String(i),
            ReceiptHandle: message?.ReceiptHandle ?? '',
          })),
        }),
      );
    }
    moved += sent.length;
    failed += answer.Failed?.length ?? 0;
    failureReason = answer.Failed?.[0]?.Message ?? failureReason;
    request.onProgress({ moved, toMove });
    if (request.maxPerSecond) {
      await sleep((Messages.length / request.maxPerSecond) * 1000);
    }
  }

  return {
    moved,
    toMove,
    status: failed > 0 ? 'FAILED' : 'COMPLETED',
    failureReason: failed > 0 ? `${failed} message(s) not sent: ${failureReason}` : undefined,
    method: 'copy',
  };
};
