import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TransientError } from './errors';
import {
  type AuditNote,
  findCurrentByCredentialId,
  forgetWebhookReceipt,
  type ObservationEntry,
  type ObservedRecord,
  recordAuditNote,
  recordLeafEvent,
  scanCurrentRecords,
  type WebhookReceipt,
} from './leaf-observations';
import type { Provider } from './providers';
import type { CredentialRequest, Operation } from './requests';
import { statusTableSchema } from './status-table-schema';
import type { CredentialEvent } from './webhook-event';

/** Where a user's credential for one provider stands, as far as the product knows. */
export type State = 'PENDING' | 'RETRYING' | 'PROVISIONED' | 'REMOVED' | 'FAILED';

/** What a finished request did at Leaf. */
export type LeafAction = 'CREATED' | 'REPLACED' | 'UNCHANGED' | 'REMOVED' | 'ALREADY_ABSENT';

/** The current status record of one (Leaf user, provider). No field ever holds a secret value. */
export interface StatusRecord {
  readonly leafUserId: string;
  readonly provider: Provider;
  readonly state: State;
  readonly operation: Operation;
  readonly requestedAt: string;
  readonly updatedAt: string;
  readonly lastMessageId: string;
  readonly attempts: number;
  readonly correlationId?: string;
  /** The secret's name (never its value), for provisioning requests. */
  readonly secretId?: string;
  readonly leafStatus?: string;
  readonly credentialId?: string;
  readonly action?: LeafAction;
  readonly reasonCode?: string;
  readonly reasonMessage?: string;
  readonly leaseOwner?: string;
  readonly leaseExpiresAt?: number;
}

/** One entry of a user's history: a finished request, or one skipped as stale. */
export interface HistoryEntry {
  readonly leafUserId: string;
  readonly provider: Provider;
  readonly operation: Operation;
  readonly outcome: State | 'SKIPPED_STALE';
  readonly at: string;
  readonly requestedAt: string;
  readonly messageId: string;
  readonly attempts: number;
  readonly correlationId?: string;
  readonly leafStatus?: string;
  readonly credentialId?: string;
  readonly action?: LeafAction;
  readonly reasonCode?: string;
  readonly reasonMessage?: string;
}

/** How a request ended, to be written into the record and the history. */
export interface Outcome {
  readonly state: 'PROVISIONED' | 'REMOVED' | 'FAILED';
  readonly leafStatus?: string;
  readonly credentialId?: string;
  readonly action?: LeafAction;
  readonly reasonCode?: string;
  readonly reasonMessage?: string;
}

export type Claim =
  /** The request may go ahead; it holds the (user, provider) lease until it records an end. */
  | { readonly kind: 'claimed'; readonly previous?: StatusRecord }
  /** A newer request has been applied already; this one must not undo it. */
  | { readonly kind: 'stale'; readonly current: StatusRecord }
  /** This very message has ended already, done or failed for good (a redelivery). */
  | { readonly kind: 'duplicate'; readonly current: StatusRecord }
  /** Another request for the same user and provider is in flight. */
  | { readonly kind: 'busy'; readonly current: StatusRecord };

const { partitionKey, sortKey } = statusTableSchema;

// The ends a message's own delivery can record; a copy of it that comes again must not work again.
const settledStates: ReadonlySet<string> = new Set(['PROVISIONED', 'REMOVED', 'FAILED']);
const settledValues = Object.fromEntries(
  [...settledStates].map((state) => [`:${state.toLowerCase()}`, state]),
);

const userKey = (leafUserId: string) => `USER#${leafUserId}`;
const currentKey = (leafUserId: string, provider: Provider) => ({
  [partitionKey]: userKey(leafUserId),
  [sortKey]: `CURRENT#${provider}`,
});
const historyPrefix = (provider?: Provider) => (provider ? `HISTORY#${provider}#` : 'HISTORY#');

const recordFields = [
  'leafUserId',
  'provider',
  'state',
  'operation',
  'requestedAt',
  'updatedAt',
  'lastMessageId',
  'attempts',
  'correlationId',
  'secretId',
  'leafStatus',
  'credentialId',
  'action',
  'reasonCode',
  'reasonMessage',
  'leaseOwner',
  'leaseExpiresAt',
] as const;

const pick = <T>(item: Record<string, unknown>, fields: readonly string[]): T =>
  Object.fromEntries(
    fields.filter((field) => item[field] !== undefined).map((f) => [f, item[f]]),
  ) as T;

// An earlier request's correlation id or secret name must not linger on a request without one.
// The last reason stays until the outcome is written: while a retry runs it is still the news.
const staleFieldRemoval = (request: CredentialRequest) => {
  const names = [
    request.correlationId ? undefined : 'correlationId',
    request.secretId ? undefined : 'secretId',
  ].filter(Boolean);

  return names.length ? ` REMOVE ${names.join(', ')}` : '';
};

const isConditionFailure = (error: unknown) =>
  error instanceof Error &&
  (error.name === 'ConditionalCheckFailedException' ||
    error.name === 'TransactionCanceledException');

const storeFailure = (error: unknown, action: string) => {
  const kind = error instanceof Error ? error.name : typeof error;

  return new TransientError('AWS_UNAVAILABLE', `status table ${action} failed (${kind})`, {
    errorType: kind,
  });
};

/**
 * The status table: one current record per (Leaf user, provider) and a history per user. Every
 * write is conditional on the request's lease, so two requests for the same user and provider
 * never overlap, and on `requestedAt`, so an older request never overwrites a newer one.
 */
export class StatusStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.#client = client;
    this.#table = tableName;
  }

  /** Takes the lease for a request, unless it is stale, a duplicate, or another holds the lease. */
  async claim(request: CredentialRequest, leaseMs: number): Promise<Claim> {
    const now = Date.now();
    try {
      const answer = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: currentKey(request.leafUserId, request.provider),
          ConditionExpression:
            '(attribute_not_exists(leaseOwner) OR leaseExpiresAt < :now OR leaseOwner = :mid)' +
            ' AND (attribute_not_exists(requestedAt) OR requestedAt <= :req)' +
            ` AND NOT (lastMessageId = :mid AND #state IN (${Object.keys(settledValues).join(', ')}))`,
          UpdateExpression:
            'SET leafUserId = :uid, provider = :provider, #state = :pending, operation = :op,' +
            ' requestedAt = :req, lastMessageId = :mid, attempts = :attempts, updatedAt = :at,' +
            ' leaseOwner = :mid, leaseExpiresAt = :leaseEnd' +
            (request.correlationId ? ', correlationId = :cid' : '') +
            (request.secretId ? ', secretId = :sid' : '') +
            staleFieldRemoval(request),
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':now': now,
            ':mid': request.messageId,
            ':req': request.requestedAt,
            ...settledValues,
            ':uid': request.leafUserId,
            ':provider': request.provider,
            ':pending': 'PENDING',
            ':op': request.operation,
            ':attempts': request.receiveCount,
            ':at': new Date(now).toISOString(),
            ':leaseEnd': now + leaseMs,
            ...(request.correlationId ? { ':cid': request.correlationId } : {}),
            ...(request.secretId ? { ':sid': request.secretId } : {}),
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const previous = answer.Attributes;

      return {
        kind: 'claimed',
        previous: previous ? pick<StatusRecord>(previous, recordFields) : undefined,
      };
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw storeFailure(error, 'claim');
      }
    }

    const current = await this.get(request.leafUserId, request.provider);
    if (!current) {
      // The record vanished between the two calls; a retry will find the table settled.
      throw new TransientError('RECORD_BUSY', 'status record changed during claim');
    }
    if (current.lastMessageId === request.messageId && settledStates.has(current.state)) {
      return { kind: 'duplicate', current };
    }
    if (current.requestedAt > request.requestedAt) {
      return { kind: 'stale', current };
    }

    return { kind: 'busy', current };
  }

  /** Records how a claimed request ended, releases its lease and appends it to the history. */
  async complete(request: CredentialRequest, outcome: Outcome): Promise<void> {
    const at = new Date().toISOString();
    // A failure leaves what the record last knew of Leaf's credential: most failures never reach
    // Leaf, and webhooks find the user by the credential id. The audit settles any difference.
    const leaf =
      outcome.state === 'FAILED'
        ? {}
        : { leafStatus: outcome.leafStatus, credentialId: outcome.credentialId };
    const set: Record<string, unknown> = {
      state: outcome.state,
      updatedAt: at,
      attempts: request.receiveCount,
      ...leaf,
      action: outcome.action,
      reasonCode: outcome.reasonCode,
      reasonMessage: outcome.reasonMessage,
    };
    const present = Object.entries(set).filter(([, value]) => value !== undefined);
    const absent = Object.keys(set).filter((name) => set[name] === undefined);
    const names = Object.fromEntries(Object.keys(set).map((name) => [`#${name}`, name]));

    try {
      await this.#client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.#table,
                Key: currentKey(request.leafUserId, request.provider),
                ConditionExpression: 'leaseOwner = :mid',
                UpdateExpression:
                  `SET ${present.map(([name]) => `#${name} = :${name}`).join(', ')}` +
                  ` REMOVE leaseOwner, leaseExpiresAt${absent.map((name) => `, #${name}`).join('')}`,
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: {
                  ':mid': request.messageId,
                  ...Object.fromEntries(present.map(([name, value]) => [`:${name}`, value])),
                },
              },
            },
            {
              Put: {
                TableName: this.#table,
                Item: this.#historyItem(request, at, { ...outcome, outcome: outcome.state }),
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new TransientError('RECORD_BUSY', 'lease lost before the outcome was recorded');
      }
      throw storeFailure(error, 'complete');
    }
  }

  /**
   * Notes a transient failure and releases the lease so the retry, or a newer request, can run.
   * With `holdMs`, the lease stays this request's for that long instead: only its own redelivery
   * may take it back meanwhile (a write it sent may still land at Leaf).
   */
  async recordRetry(
    request: CredentialRequest,
    reasonCode: string,
    reasonMessage: string,
    holdMs = 0,
  ) {
    const now = Date.now();
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: currentKey(request.leafUserId, request.provider),
          ConditionExpression: 'leaseOwner = :mid',
          UpdateExpression:
            'SET #state = :retrying, reasonCode = :code, reasonMessage = :message,' +
            ' attempts = :attempts, updatedAt = :at' +
            (holdMs > 0 ? ', leaseExpiresAt = :holdEnd' : ' REMOVE leaseOwner, leaseExpiresAt'),
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':mid': request.messageId,
            ':retrying': 'RETRYING',
            ':code': reasonCode,
            ':message': reasonMessage,
            ':attempts': request.receiveCount,
            ':at': new Date(now).toISOString(),
            ...(holdMs > 0 ? { ':holdEnd': now + holdMs } : {}),
          },
        }),
      );
    } catch (error) {
      // Losing the lease here only means a newer request took over, which is fine.
      if (!isConditionFailure(error)) {
        throw storeFailure(error, 'retry note');
      }
    }
  }

  /** Appends a stale request to the history without touching the current record. */
  async recordStale(request: CredentialRequest, current: StatusRecord): Promise<void> {
    await this.#appendOnce(request, {
      outcome: 'SKIPPED_STALE',
      reasonCode: 'STALE_REQUEST',
      reasonMessage: `a newer request (${current.requestedAt}) was applied first`,
    });
  }

  /**
   * Appends a refused request, one that failed its checks before it was taken, to the history.
   * The current record is left alone: the request never reached Leaf, so it changes nothing the
   * record describes, and it must not move the record's `requestedAt` either (a refused copy with
   * a later fallback time would make the request it stood for look stale once it is fixed).
   */
  async recordRefused(request: CredentialRequest, reasonCode: string, reasonMessage: string) {
    await this.#appendOnce(request, { outcome: 'FAILED', reasonCode, reasonMessage });
  }

  // A history entry for a request that did not take the record, keyed by the request's own time,
  // so a redelivery of it finds the entry and adds none.
  async #appendOnce(
    request: CredentialRequest,
    entry: { outcome: 'FAILED' | 'SKIPPED_STALE'; reasonCode: string; reasonMessage: string },
  ): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: this.#historyItem(request, request.requestedAt, {
            at: new Date().toISOString(),
            ...entry,
          }),
          ConditionExpression: `attribute_not_exists(${partitionKey})`,
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw storeFailure(error, 'history');
      }
    }
  }

  async get(leafUserId: string, provider: Provider): Promise<StatusRecord | undefined> {
    try {
      const answer = await this.#client.send(
        new GetCommand({
          TableName: this.#table,
          Key: currentKey(leafUserId, provider),
          ConsistentRead: true,
        }),
      );

      return answer.Item ? pick<StatusRecord>(answer.Item, recordFields) : undefined;
    } catch (error) {
      throw storeFailure(error, 'read');
    }
  }

  /** The latest history entries of a user, newest first, for one provider or all. */
  async history(leafUserId: string, provider?: Provider, limit = 5): Promise<HistoryEntry[]> {
    try {
      const answer = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: `${partitionKey} = :pk AND begins_with(${sortKey}, :prefix)`,
          ExpressionAttributeValues: {
            ':pk': userKey(leafUserId),
            ':prefix': historyPrefix(provider),
          },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );

      return (answer.Items ?? []).map((item) => pick<HistoryEntry>(item, historyFields));
    } catch (error) {
      throw storeFailure(error, 'history read');
    }
  }

  /**
   * The history entry an earlier delivery of this very message ended with, if one did. A
   * redelivery uses it to announce that end instead of working again. Entries are keyed by the
   * time they were written (stale ones by `requestedAt`), and a request is taken no earlier than
   * its `requestedAt` less the clock skew the contract allows, so the range starts a little
   * before that and the query stays short however long the history is.
   */
  async settledEntry(request: CredentialRequest): Promise<HistoryEntry | undefined> {
    const from = new Date(Date.parse(request.requestedAt) - 10 * 60_000).toISOString();
    let start: Record<string, unknown> | undefined;
    try {
      do {
        const page = await this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: `${partitionKey} = :pk AND ${sortKey} BETWEEN :from AND :to`,
            FilterExpression: 'messageId = :mid',
            ExpressionAttributeValues: {
              ':pk': userKey(request.leafUserId),
              ':from': `${historyPrefix(request.provider)}${from}`,
              // `~` sorts after every character of an ISO time.
              ':to': `${historyPrefix(request.provider)}~`,
              ':mid': request.messageId,
            },
            ScanIndexForward: false,
            ExclusiveStartKey: start,
          }),
        );
        const item = page.Items?.[0];
        if (item) {
          return pick<HistoryEntry>(item, historyFields);
        }
        start = page.LastEvaluatedKey;
      } while (start);
    } catch (error) {
      throw storeFailure(error, 'history read');
    }

    return undefined;
  }

  /** The current records holding this Leaf credential id (Leaf's webhooks name only the id). */
  findByCredentialId(credentialId: string): Promise<ObservedRecord[]> {
    return findCurrentByCredentialId(this.#client, this.#table, credentialId);
  }

  /** Records the status a Leaf webhook event reports, once per signed body; see leaf-observations. */
  recordLeafStatus(
    target: Pick<StatusRecord, 'leafUserId' | 'provider'> & { readonly credentialId: string },
    event: CredentialEvent,
    receipt: WebhookReceipt,
  ): Promise<'recorded' | 'duplicate' | 'superseded'> {
    return recordLeafEvent(this.#client, this.#table, target, event, receipt);
  }

  /** Forgets a webhook call's receipt, so Leaf's retry of it is applied again. */
  forgetWebhookReceipt(bodyDigest: string): Promise<void> {
    return forgetWebhookReceipt(this.#client, this.#table, bodyDigest);
  }

  /** Every current record, a page at a time, for the scheduled audit. */
  currentRecords(): AsyncGenerator<ObservedRecord[]> {
    return scanCurrentRecords(this.#client, this.#table);
  }

  /** Notes what the scheduled audit found, unless a request changed the record meanwhile. */
  recordAudit(
    seen: ObservedRecord,
    note: AuditNote,
    history?: ObservationEntry,
  ): Promise<'recorded' | 'changed'> {
    return recordAuditNote(this.#client, this.#table, seen, note, history);
  }

  #historyItem(
    request: CredentialRequest,
    sortTime: string,
    entry: Omit<Partial<HistoryEntry>, 'outcome'> & { outcome: HistoryEntry['outcome'] },
  ) {
    return {
      [partitionKey]: userKey(request.leafUserId),
      [sortKey]: `${historyPrefix(request.provider)}${sortTime}#${request.messageId}`,
      leafUserId: request.leafUserId,
      provider: request.provider,
      operation: request.operation,
      at: entry.at ?? sortTime,
      requestedAt: request.requestedAt,
      messageId: request.messageId,
      attempts: request.receiveCount,
      correlationId: request.correlationId,
      outcome: entry.outcome,
      leafStatus: entry.leafStatus,
      credentialId: entry.credentialId,
      action: entry.action,
      reasonCode: entry.reasonCode,
      reasonMessage: entry.reasonMessage,
    };
  }
}

const historyFields = [
  'leafUserId',
  'provider',
  'operation',
  'outcome',
  'at',
  'requestedAt',
  'messageId',
  'attempts',
  'correlationId',
  'leafStatus',
  'credentialId',
  'action',
  'reasonCode',
  'reasonMessage',
] as const;
