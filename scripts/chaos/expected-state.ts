import type { HistoryEntry, StatusRecord } from '../../functions/shared/status-store';
import type { KeyPlan, PlannedRequest, SecretVersion } from './workload';

/** What Leaf holds for one (user, provider), in the workload's terms. */
export type Holding =
  | { readonly kind: 'none' }
  | { readonly kind: 'secret'; readonly version: SecretVersion }
  /** Credentials that match neither of the key's two secrets. */
  | { readonly kind: 'other' };

/**
 * How one message ended. `applied`: its request changed or confirmed Leaf (PROVISIONED or REMOVED
 * in the history). `stale`: skipped because a newer request had been started. `failed`: recorded
 * FAILED, or dead-lettered by SQS after its last delivery. `lost`: none of these.
 */
export type MessageFate = 'applied' | 'stale' | 'failed' | 'lost';

/** A request's messages and how each ended. */
export interface RequestFates {
  readonly request: PlannedRequest;
  readonly fates: readonly MessageFate[];
}

/** What the model expects of one (user, provider). */
export interface Expectation {
  /** The newest applied request; Leaf holds its effect unless a newer request failed midway. */
  readonly deciding: PlannedRequest | undefined;
  /** The effect of `deciding`: its secret for a provision, nothing for a deprovision or none. */
  readonly exact: Holding;
  /** Every holding the model accepts; more than `exact` only when a newer request failed. */
  readonly allowed: readonly Holding[];
}

const none: Holding = { kind: 'none' };

const effectOf = (request: PlannedRequest | undefined): Holding =>
  request?.operation === 'PROVISION' && request.secretVersion
    ? { kind: 'secret', version: request.secretVersion }
    : none;

export const sameHolding = (a: Holding, b: Holding): boolean =>
  a.kind === b.kind && (a.kind !== 'secret' || a.version === (b as typeof a).version);

export const describeHolding = (holding: Holding): string =>
  holding.kind === 'secret' ? `secret ${holding.version}` : holding.kind;

const requestFate = (fates: readonly MessageFate[]): MessageFate => {
  for (const fate of ['applied', 'failed', 'lost'] as const) {
    if (fates.includes(fate)) {
      return fate;
    }
  }

  return 'stale';
};

/**
 * The expected final state of one (user, provider).
 *
 * The status store starts requests for a key one at a time and only in rising `requestedAt`
 * order: a request older than the last one started is skipped as stale, whatever became of that
 * one. So Leaf ends with the effect of the newest *applied* request (nothing if none applied),
 * followed only by what requests newer than it did before they failed. A failed request may have
 * acted in part: provisioning removes the held credential before it creates the new one, and a
 * write whose answer was lost may have been applied. Hence: with no failed or lost request newer
 * than the deciding one, Leaf must hold exactly the deciding request's effect; otherwise it may
 * also hold nothing, or the secret of one of those newer failed provisions.
 *
 * This is the "the newest request that did not fail decides" made exact: when the newest
 * request fails, the next older one decides only if it was applied before the failed one started;
 * had it arrived later, it was rightly skipped as stale, and the one before it decides.
 */
export const expectedState = (requests: readonly RequestFates[]): Expectation => {
  const byAge = [...requests].sort((a, b) => a.request.position - b.request.position);
  const applied = byAge.filter(({ fates }) => requestFate(fates) === 'applied');
  const deciding = applied.at(-1)?.request;
  const newer = byAge.filter(({ request }) => request.position > (deciding?.position ?? -1));
  const unsettled = newer.filter(({ fates }) => ['failed', 'lost'].includes(requestFate(fates)));
  const exact = effectOf(deciding);
  if (unsettled.length === 0) {
    return { deciding, exact, allowed: [exact] };
  }
  const partial = unsettled.map(({ request }) => effectOf(request));
  const allowed = [exact, none, ...partial].filter(
    (holding, i, all) => all.findIndex((other) => sameHolding(holding, other)) === i,
  );

  return { deciding, exact, allowed };
};

/** What one key's status record and history are checked against. */
export interface RecordFacts {
  readonly plan: KeyPlan;
  readonly record: StatusRecord | undefined;
  /** The key's history entries, any order. */
  readonly history: readonly HistoryEntry[];
  readonly holding: Holding;
  readonly leafCredentialId: string | undefined;
  /** The plan's request behind each message id. */
  readonly requestOf: ReadonlyMap<string, PlannedRequest>;
}

const isClaimed = (entry: HistoryEntry) => entry.outcome !== 'SKIPPED_STALE';

/**
 * Problems with a key's status record: it must name the last request started, say how that one
 * ended, hold no lease, and agree with Leaf when it says PROVISIONED or REMOVED.
 */
export const recordProblems = (facts: RecordFacts): string[] => {
  const { record, holding } = facts;
  const claimed = facts.history
    .filter(isClaimed)
    .sort((a, b) => a.at.localeCompare(b.at) || a.requestedAt.localeCompare(b.requestedAt));
  const last = claimed.at(-1);
  if (!record) {
    return last ? ['no status record, though requests were started'] : [];
  }
  const problems: string[] = [];
  if (record.leaseOwner !== undefined) {
    problems.push('record still holds a lease');
  }
  if (!last) {
    problems.push(`record is ${record.state}, though no request ended`);
  } else if (record.lastMessageId !== last.messageId || record.state !== last.outcome) {
    problems.push(
      `record is ${record.state} for ${record.lastMessageId}, the last request started ended ${last.outcome} (${last.messageId})`,
    );
  }
  if (record.state === 'PROVISIONED') {
    const version = facts.requestOf.get(record.lastMessageId)?.secretVersion;
    if (holding.kind !== 'secret' || holding.version !== version) {
      problems.push(
        `record says secret ${version} provisioned, Leaf holds ${describeHolding(holding)}`,
      );
    } else if (record.credentialId !== facts.leafCredentialId) {
      problems.push('record names another credential id than Leaf holds');
    }
  }
  if (record.state === 'REMOVED' && holding.kind !== 'none') {
    problems.push(`record says removed, Leaf holds ${describeHolding(holding)}`);
  }

  return problems;
};

/**
 * Order problems in a key's history: requests must have been started in rising `requestedAt`
 * order (an older one never undoes a newer one), and a request is skipped as stale only when a
 * newer one had been started.
 */
export const orderProblems = (history: readonly HistoryEntry[]): string[] => {
  const claimed = history
    .filter(isClaimed)
    .sort((a, b) => a.at.localeCompare(b.at) || a.requestedAt.localeCompare(b.requestedAt));
  const problems: string[] = [];
  claimed.forEach((entry, i) => {
    const before = claimed[i - 1];
    if (before && entry.requestedAt < before.requestedAt) {
      problems.push(
        `${entry.messageId} (${entry.requestedAt}) ran after the newer ${before.messageId} (${before.requestedAt})`,
      );
    }
  });
  for (const entry of history.filter((e) => e.outcome === 'SKIPPED_STALE')) {
    if (!claimed.some((other) => other.requestedAt > entry.requestedAt)) {
      problems.push(`${entry.messageId} skipped as stale, yet no newer request was started`);
    }
  }

  return problems;
};
