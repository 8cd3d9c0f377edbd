import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { OperationName } from './request-check';
import type { PlannedRequest } from './request-plan';

/** SendMessageBatch takes at most 10 entries. */
export const batchSize = 10;

export interface SentRequest {
  readonly line: number;
  readonly operation: OperationName;
  readonly messageId: string;
}

export interface UnsentRequest {
  readonly line: number;
  readonly operation: OperationName;
  readonly reason: string;
}

export interface SendOutcome {
  readonly sent: SentRequest[];
  readonly unsent: UnsentRequest[];
  readonly batches: number;
}

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, i * size + size),
  );

const entryId = (request: PlannedRequest) => `line-${request.line}`;

/**
 * Sends the requests to their queues in batches of 10. Entries SQS refuses for its own reasons
 * are sent once more; when a whole batch fails (no access, no network), sending stops there and
 * every request not sent is reported, so the operator knows exactly which lines to send again.
 */
export const sendRequests = async (
  sqs: SQSClient,
  queueUrls: Readonly<Record<OperationName, string>>,
  requests: readonly PlannedRequest[],
  onProgress: (sent: number) => void,
): Promise<SendOutcome> => {
  const sent: SentRequest[] = [];
  const unsent: UnsentRequest[] = [];
  const batches = (['provision', 'deprovision'] as const).flatMap((operation) =>
    chunks(
      requests.filter((request) => request.operation === operation),
      batchSize,
    ),
  );
  let batchCount = 0;

  for (const [index, batch] of batches.entries()) {
    const byId = new Map(batch.map((request) => [entryId(request), request]));
    const queueUrl = queueUrls[batch[0]?.operation ?? 'provision'];
    let pending: SendMessageBatchRequestEntry[] = batch.map((request) => ({
      Id: entryId(request),
      MessageBody: request.body,
    }));
    try {
      for (let attempt = 1; attempt <= 2 && pending.length > 0; attempt++) {
        batchCount += 1;
        const answer = await sqs.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }),
        );
        for (const ok of answer.Successful ?? []) {
          const request = byId.get(ok.Id ?? '');
          if (request) {
            sent.push({
              line: request.line,
              operation: request.operation,
              messageId: ok.MessageId ?? '',
            });
          }
        }
        const retry = new Set(
          (answer.Failed ?? []).filter((f) => !f.SenderFault && attempt === 1).map((f) => f.Id),
        );
        for (const failure of answer.Failed ?? []) {
          const request = byId.get(failure.Id ?? '');
          if (request && !retry.has(failure.Id)) {
            unsent.push({
              line: request.line,
              operation: request.operation,
              reason: `${failure.Code ?? 'failed'}: ${failure.Message ?? ''}`.trim(),
            });
          }
        }
        pending = pending.filter((entry) => retry.has(entry.Id));
      }
    } catch (error) {
      const reason = `${(error as Error).name}: ${(error as Error).message}`;
      const settled = new Set([...sent, ...unsent].map((request) => request.line));
      const notSent = batches
        .slice(index)
        .flat()
        .filter((request) => !settled.has(request.line));
      unsent.push(
        ...notSent.map((request) => ({ line: request.line, operation: request.operation, reason })),
      );

      return { sent, unsent, batches: batchCount };
    }
    onProgress(sent.length);
  }

  return { sent, unsent, batches: batchCount };
};
