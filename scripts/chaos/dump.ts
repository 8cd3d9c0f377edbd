import { writeFile } from 'node:fs/promises';
import { providers } from '../../functions/shared/providers';
import type { RequestLogEntry } from '../../local/leaf-sandbox/types';
import { describeHolding } from './expected-state';
import type { Observations } from './observations';
import { holdingOf, type SecretBook, type SentMessage } from './verify';
import type { Workload } from './workload';

/** What the run saw, for the keys it found a problem with. */
export interface DumpInput {
  readonly workload: Workload;
  readonly sent: readonly SentMessage[];
  readonly observed: Observations;
  readonly secrets: SecretBook;
  /** The product's captured log lines. */
  readonly logs: string;
  readonly leafLog: readonly RequestLogEntry[];
  readonly keys: ReadonlySet<string>;
}

/**
 * Writes, for each key with a problem, its plan, its messages, its history, record, dead letters,
 * Leaf's holding (as `secret v1`, never the values), the sandbox's request log and the product's
 * log lines for it: enough to follow a failure without running again. Log lines are the product's
 * own output, already searched for canaries.
 */
export const writeDump = async (file: string, input: DumpInput): Promise<void> => {
  const { workload, sent, observed } = input;
  const logLines = input.logs.split('\n');
  const keys = workload.keys
    .filter((plan) => input.keys.has(plan.key))
    .map((plan) => {
      const messages = sent.filter((message) => message.send.request.key === plan.key);
      const ids = new Set(messages.map((message) => message.messageId));
      const leafPath = `/${plan.leafUserId}/${providers[plan.provider].leafPath}`;

      return {
        key: plan.key,
        requests: plan.requests,
        messages: messages.map(({ messageId, send, sentAfter }) => ({
          messageId,
          request: send.request.id,
          copy: send.copy,
          redelivered: send.redeliver,
          sentAt: new Date(sentAfter).toISOString(),
        })),
        history: observed.history
          .filter((entry) => ids.has(entry.messageId))
          .sort((a, b) => a.at.localeCompare(b.at)),
        record: observed.records.get(plan.key),
        deadLetters: observed.deadLetters.filter(
          (letter) => ids.has(letter.originalMessageId ?? '') || ids.has(letter.messageId),
        ),
        leaf: describeHolding(holdingOf(observed.leaf.get(plan.key), plan.key, input.secrets)),
        leafWrites: observed.leafWrites.get(plan.key),
        leafLog: input.leafLog.filter((entry) => entry.path.includes(leafPath)),
        logs: logLines.filter((line) => [...ids].some((id) => line.includes(id))),
      };
    });
  await writeFile(file, `${JSON.stringify(keys, null, 2)}\n`);
};
