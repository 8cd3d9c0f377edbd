import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  ScanCommand,
  type ScanCommandOutput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Agreement } from './audit';
import { TransientError } from './errors';
import type { StatusRecord } from './status-store';
import { statusTableSchema } from './status-table-schema';
import type { CredentialEvent } from './webhook-event';

/** Where the record's view of Leaf's status last came from. */
export type LeafStatusSource = 'WEBHOOK' | 'AUDIT';

/**
 * What a current record notes of Leaf besides the fields a request writes. Requests never touch
 * these, and these writes never touch `updatedAt`, which stays the version of the request side.
 */
export interface LeafObservationFields {
  /** When `leafStatus` was last set by a webhook or an audit. */
  readonly leafStatusAt?: string;
  readonly leafStatusSource?: LeafStatusSource;
  /** Leaf's time of the latest webhook event applied; an older event is not applied after it. */
  readonly leafEventAt?: string;
  readonly leafEventType?: string;
  /** When the scheduled audit last compared this record with Leaf. */
  readonly auditedAt?: string;
  readonly auditAgreement?: Agreement;
  /** What the audit found wrong, in words; absent when nothing. */
  readonly auditFindings?: readonly string[];
  /** The credential id Leaf holds, when it is not the recorded `credentialId`. */
  readonly leafCredentialIdSeen?: string;
}

/** A current record with what has been observed at Leaf. */
export type ObservedRecord = StatusRecord & LeafObservationFields;

/** A history entry for something seen at Leaf rather than a request the product ran. */
export interface ObservationEntry {
  readonly operation: 'LEAF_WEBHOOK' | 'SCHEDULED_AUDIT';
  readonly outcome: 'LEAF_STATUS_CHANGED' | 'DRIFT_FOUND' | 'DRIFT_CLEARED';
  readonly at: string;
  /** Unique per observation; stands where a request's message id stands. */
  readonly messageId: string;
  readonly leafStatus?: string;
  readonly credentialId?: string;
  /** A short explanation: the event type, or the audit's findings. */
  readonly reasonMessage?: string;
}

/** The webhook call an event came in, kept to refuse a replay of it. */
export interface WebhookReceipt {
  /** SHA-256 of the signed body, hex. */
  readonly bodyDigest: string;
  readonly receivedAt: string;
  /** Epoch seconds after which DynamoDB's TTL may delete the receipt. */
  readonly purgeAfter: number;
}

/** What an audit found for one record. */
export interface AuditNote {
  readonly at: string;
  readonly agreement: Agreement;
  readonly findings: readonly string[];
  /** Leaf's credential, when it holds one. */
  readonly leaf?: { readonly id: string; readonly status: string };
}

type Target = Pick<StatusRecord, 'leafUserId' | 'provider'>;

const { partitionKey, sortKey, credentialIdIndex, timeToLiveAttribute } = statusTableSchema;

// The key layout of status-table-schema.ts, as the status store writes it.
const currentKey = ({ leafUserId, provider }: Target) => ({
  [partitionKey]: `USER#${leafUserId}`,
  [sortKey]: `CURRENT#${provider}`,
});

const historyItem = (target: Target, entry: ObservationEntry) => ({
  [partitionKey]: `USER#${target.leafUserId}`,
  [sortKey]: `HISTORY#${target.provider}#${entry.at}#${entry.messageId}`,
  leafUserId: target.leafUserId,
  provider: target.provider,
  ...entry,
});

const toRecord = (item: Record<string, unknown>): ObservedRecord => {
  const { [partitionKey]: _pk, [sortKey]: _sk, ...fields } = item;

  return fields as unknown as ObservedRecord;
};

const storeFailure = (error: unknown, action: string) => {
  const kind = error instanceof Error ? error.name : typeof error;

  return new TransientError('AWS_UNAVAILABLE', `status table ${action} failed (${kind})`, {
    errorType: kind,
  });
};

/** Which items of a cancelled transaction failed their condition, by position. */
const failedConditions = (error: unknown): boolean[] | undefined => {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') {
    return undefined;
  }
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;

  return reasons?.map((reason) => reason.Code === 'ConditionalCheckFailed');
};

/**
 * The current records holding a Leaf credential id. History items carry the id too, so the
 * index also finds them; only `CURRENT#` items are kept. The index is eventually consistent: a
 * write that relies on the answer checks the id again in its condition.
 */
export const findCurrentByCredentialId = async (
  client: DynamoDBDocumentClient,
  table: string,
  credentialId: string,
): Promise<ObservedRecord[]> => {
  const records: ObservedRecord[] = [];
  let start: Record<string, unknown> | undefined;
  try {
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: credentialIdIndex.name,
          KeyConditionExpression: '#cid = :cid',
          FilterExpression: 'begins_with(#sk, :current)',
          ExpressionAttributeNames: { '#cid': credentialIdIndex.partitionKey, '#sk': sortKey },
          ExpressionAttributeValues: { ':cid': credentialId, ':current': 'CURRENT#' },
          ExclusiveStartKey: start,
        }),
      );
      records.push(...(page.Items ?? []).map(toRecord));
      start = page.LastEvaluatedKey;
    } while (start);
  } catch (error) {
    throw storeFailure(error, 'credential id lookup');
  }

  return records;
};

/**
 * Applies a webhook event to the record, with a receipt and a history entry, in one transaction.
 * The receipt's condition refuses a replay of the same body; the record's condition refuses an
 * event for a credential the record no longer holds, or older than one applied already.
 */
export const recordLeafEvent = async (
  client: DynamoDBDocumentClient,
  table: string,
  target: Target & { readonly credentialId: string },
  event: CredentialEvent,
  receipt: WebhookReceipt,
): Promise<'recorded' | 'duplicate' | 'superseded'> => {
  try {
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table,
              Item: {
                [partitionKey]: `WEBHOOK#${receipt.bodyDigest}`,
                [sortKey]: 'RECEIPT',
                eventType: event.type,
                receivedAt: receipt.receivedAt,
                [timeToLiveAttribute]: receipt.purgeAfter,
              },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': partitionKey },
            },
          },
          {
            Update: {
              TableName: table,
              Key: currentKey(target),
              ConditionExpression:
                'credentialId = :cid AND (attribute_not_exists(leafEventAt) OR leafEventAt <= :eventAt)',
              UpdateExpression:
                'SET leafStatus = :status, leafStatusAt = :now, leafStatusSource = :source,' +
                ' leafEventAt = :eventAt, leafEventType = :type',
              ExpressionAttributeValues: {
                ':cid': target.credentialId,
                ':eventAt': event.occurredAt,
                ':status': event.status,
                ':now': receipt.receivedAt,
                ':source': 'WEBHOOK',
                ':type': event.type,
              },
            },
          },
          {
            Put: {
              TableName: table,
              Item: historyItem(target, {
                operation: 'LEAF_WEBHOOK',
                outcome: 'LEAF_STATUS_CHANGED',
                at: receipt.receivedAt,
                messageId: `webhook-${receipt.bodyDigest.slice(0, 16)}`,
                leafStatus: event.status,
                credentialId: target.credentialId,
                reasonMessage: `Leaf sent ${event.type}`,
              }),
            },
          },
        ],
      }),
    );

    return 'recorded';
  } catch (error) {
    const failed = failedConditions(error);
    if (failed?.[0]) {
      return 'duplicate';
    }
    if (failed?.[1]) {
      return 'superseded';
    }
    throw storeFailure(error, 'webhook event');
  }
};

/**
 * Deletes a webhook receipt, so Leaf's next delivery of the same call is applied again: for when
 * the call was recorded but what must follow it (the outcome event) failed.
 */
export const forgetWebhookReceipt = async (
  client: DynamoDBDocumentClient,
  table: string,
  bodyDigest: string,
): Promise<void> => {
  try {
    await client.send(
      new DeleteCommand({
        TableName: table,
        Key: { [partitionKey]: `WEBHOOK#${bodyDigest}`, [sortKey]: 'RECEIPT' },
      }),
    );
  } catch (error) {
    throw storeFailure(error, 'receipt removal');
  }
};

/** Every current record, one page at a time; history items and receipts are filtered out. */
export async function* scanCurrentRecords(
  client: DynamoDBDocumentClient,
  table: string,
): AsyncGenerator<ObservedRecord[]> {
  let start: Record<string, unknown> | undefined;
  do {
    let page: ScanCommandOutput;
    try {
      page = await client.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: 'begins_with(#sk, :current)',
          ExpressionAttributeNames: { '#sk': sortKey },
          ExpressionAttributeValues: { ':current': 'CURRENT#' },
          ExclusiveStartKey: start,
        }),
      );
    } catch (error) {
      throw storeFailure(error, 'scan');
    }
    yield (page.Items ?? []).map(toRecord);
    start = page.LastEvaluatedKey;
  } while (start);
}

/**
 * Notes an audit's result in the record, and the history entry when there is one. Conditional on
 * the record's `updatedAt` as the audit read it: a request that ran meanwhile has its own, newer
 * view of Leaf, so the audit's is dropped (`changed`) rather than written over it.
 */
export const recordAuditNote = async (
  client: DynamoDBDocumentClient,
  table: string,
  seen: ObservedRecord,
  note: AuditNote,
  history?: ObservationEntry,
): Promise<'recorded' | 'changed'> => {
  const set: Record<string, unknown> = {
    auditedAt: note.at,
    auditAgreement: note.agreement,
    auditFindings: note.findings.length > 0 ? [...note.findings] : undefined,
    leafStatus: note.leaf?.status,
    leafStatusAt: note.at,
    leafStatusSource: 'AUDIT',
    leafCredentialIdSeen:
      note.leaf && note.leaf.id !== seen.credentialId ? note.leaf.id : undefined,
  };
  const present = Object.keys(set).filter((name) => set[name] !== undefined);
  const absent = Object.keys(set).filter((name) => set[name] === undefined);
  const update = {
    TableName: table,
    Key: currentKey(seen),
    ConditionExpression: 'updatedAt = :seen',
    UpdateExpression:
      `SET ${present.map((name) => `${name} = :${name}`).join(', ')}` +
      (absent.length > 0 ? ` REMOVE ${absent.join(', ')}` : ''),
    ExpressionAttributeValues: {
      ':seen': seen.updatedAt,
      ...Object.fromEntries(present.map((name) => [`:${name}`, set[name]])),
    },
  };
  try {
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: update },
          ...(history ? [{ Put: { TableName: table, Item: historyItem(seen, history) } }] : []),
        ],
      }),
    );

    return 'recorded';
  } catch (error) {
    if (failedConditions(error)?.[0]) {
      return 'changed';
    }
    throw storeFailure(error, 'audit note');
  }
};
