import type { HistoryEntry, StatusRecord } from '../../functions/shared/status-store';
import { statusTableSchema } from '../../functions/shared/status-table-schema';
import type { LeafCredential } from '../../local/leaf-sandbox/types';
import type { LocalEnvironment } from '../../local/local-environment';
import { peekQueue, scanTable } from '../../test/helpers/aws-inspection';
import { type LeafWrites, readLeafWrites } from './leaf-writes';
import { keyOf, type Provider, type Workload } from './workload';

/** A dead-lettered message: copied there by the handler with its reason, or moved by SQS. */
export interface DeadLetter {
  readonly queue: 'provisioning' | 'deprovisioning';
  /** The dead-letter queue's own id of the message; SQS keeps the source id when it moves one. */
  readonly messageId: string;
  /** Set when the handler dead-lettered the message itself. */
  readonly originalMessageId?: string;
  readonly reasonCode?: string;
  readonly body: string;
}

/** Everything the run left behind, read once after the queues are empty. */
export interface Observations {
  readonly records: ReadonlyMap<string, StatusRecord>;
  readonly history: readonly HistoryEntry[];
  readonly deadLetters: readonly DeadLetter[];
  readonly leaf: ReadonlyMap<string, LeafCredential | undefined>;
  readonly leafWrites: ReadonlyMap<string, LeafWrites>;
}

// Longer than the rest of the verification takes, so no message is read twice.
const hideSeconds = 60;

const readDeadLetters = async (
  queueUrl: string,
  queue: DeadLetter['queue'],
): Promise<DeadLetter[]> =>
  (await peekQueue(queueUrl, hideSeconds)).map((message) => ({
    queue,
    messageId: message.messageId,
    originalMessageId: message.attributes.originalMessageId,
    reasonCode: message.attributes.reasonCode,
    body: message.body,
  }));

const sortKeyStarts = (prefix: string) => (item: Record<string, unknown>) =>
  String(item[statusTableSchema.sortKey]).startsWith(prefix);
const isHistory = sortKeyStarts('HISTORY#');
const isCurrent = sortKeyStarts('CURRENT#');

/**
 * Reads the status table, both dead-letter queues, Leaf's credentials and Leaf's per-key write
 * log. Leaves the dead letters hidden for a minute: read them for leaks before calling this.
 */
export const observe = async (env: LocalEnvironment, workload: Workload): Promise<Observations> => {
  const [items, provisioning, deprovisioning, leafWrites] = await Promise.all([
    scanTable(env.resources.tableName),
    readDeadLetters(env.resources.provisioningDlqUrl, 'provisioning'),
    readDeadLetters(env.resources.deprovisioningDlqUrl, 'deprovisioning'),
    readLeafWrites(env, workload.keys),
  ]);
  const records = new Map<string, StatusRecord>();
  for (const item of items.filter(isCurrent)) {
    const record = item as unknown as StatusRecord;
    records.set(keyOf(record.leafUserId, record.provider as Provider), record);
  }

  return {
    records,
    history: items.filter(isHistory) as unknown as HistoryEntry[],
    deadLetters: [...provisioning, ...deprovisioning],
    leaf: new Map(
      workload.keys.map((plan) => [
        plan.key,
        env.sandbox.credentials(plan.leafUserId, plan.provider),
      ]),
    ),
    leafWrites,
  };
};
