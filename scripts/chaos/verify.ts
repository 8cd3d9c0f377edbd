import { permanentReasons } from '../../functions/shared/errors';
import type { HistoryEntry } from '../../functions/shared/status-store';
import type { LeafCredential } from '../../local/leaf-sandbox/types';
import type { CanaryCredentials } from '../../test/helpers/grower-secrets';
import {
  describeHolding,
  expectedState,
  type Holding,
  type MessageFate,
  orderProblems,
  recordProblems,
  sameHolding,
} from './expected-state';
import type { Observations } from './observations';
import type { PlannedRequest, PlannedSend, SecretVersion, Workload } from './workload';

/** A message as it was sent, with the window its SQS send time falls in. */
export interface SentMessage {
  readonly messageId: string;
  readonly send: PlannedSend;
  readonly sentAfter: number;
  readonly sentBefore: number;
}

/** The grower secrets of the run, by `${key}#${version}`. */
export type SecretBook = ReadonlyMap<string, CanaryCredentials>;

export const secretKey = (key: string, version: SecretVersion) => `${key}#${version}`;

/** The figures verification produces; the run adds timings and Leaf's counters. */
export interface Verdict {
  readonly succeeded: number;
  readonly staleSkipped: number;
  readonly failedPermanent: number;
  /** Ran out of attempts on transient failures. */
  readonly exhausted: number;
  readonly inDlq: number;
  readonly lost: number;
  readonly wrongFinalState: number;
  /** Keys where Leaf holds what a failed newer request left, which the model allows. */
  readonly settledByFailure: number;
  readonly orderViolations: number;
  readonly duplicateWrites: number;
  /** Failed requests without a dead letter carrying their reason code. */
  readonly failedNotDeadLettered: number;
  /** Dead letters SQS moved on its own, with no FAILED record or reason code. */
  readonly unrecordedDeadLetters: number;
  /** Messages recorded both FAILED and applied (two deliveries of one message disagreed). */
  readonly conflictingOutcomes: number;
  /** One line per problem found, for the progress output. */
  readonly problems: readonly string[];
  /** The keys (`user#provider`) a problem was found for, to dump their details. */
  readonly problemKeys: ReadonlySet<string>;
}

// The sandbox's timestamps and SQS's come from the same clock; a second covers rounding.
const clockSlackMs = 1_000;
const permanent = new Set<string>(permanentReasons);

export const holdingOf = (
  credential: LeafCredential | undefined,
  key: string,
  secrets: SecretBook,
): Holding => {
  if (!credential) {
    return { kind: 'none' };
  }
  for (const version of ['v1', 'v2'] as const) {
    const secret = secrets.get(secretKey(key, version));
    if (
      secret &&
      credential.clientId === secret.clientId &&
      credential.clientSecret === secret.clientSecret &&
      credential.subscriptionKey === secret.subscriptionKey &&
      credential.refreshToken === secret.refreshToken &&
      credential.clientEnvironment === (secret.clientEnvironment ?? 'STAGE')
    ) {
      return { kind: 'secret', version };
    }
  }

  return { kind: 'other' };
};

const groupBy = <T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }

  return groups;
};

const timeProblem = (entry: HistoryEntry, sent: SentMessage): string | undefined => {
  const planned = sent.send.request.requestedAt;
  if (planned !== undefined) {
    const normalised = new Date(planned).toISOString();

    return entry.requestedAt === normalised
      ? undefined
      : `${entry.messageId} recorded requestedAt ${entry.requestedAt}, sent ${normalised}`;
  }
  const at = Date.parse(entry.requestedAt);

  return at >= sent.sentAfter - clockSlackMs && at <= sent.sentBefore + clockSlackMs
    ? undefined
    : `${entry.messageId} without requestedAt was timed ${entry.requestedAt}, not at its send`;
};

/**
 * Compares what the run left behind with the expected-state model, message by message and key by
 * key. Pure: everything it needs has been read already.
 */
export const verify = (
  workload: Workload,
  sent: readonly SentMessage[],
  observed: Observations,
  secrets: SecretBook,
  started: ReadonlySet<string>,
  replayWrites: number,
): Verdict => {
  const problems: string[] = [];
  const problemKeys = new Set<string>();
  const historyOf = groupBy(observed.history, (entry) => entry.messageId);
  const handLettered = groupBy(
    observed.deadLetters.filter((letter) => letter.originalMessageId !== undefined),
    (letter) => letter.originalMessageId ?? '',
  );
  const moved = new Set(
    observed.deadLetters
      .filter((letter) => letter.originalMessageId === undefined)
      .map((letter) => letter.messageId),
  );

  const fates = new Map<string, MessageFate>();
  const counts = {
    succeeded: 0,
    staleSkipped: 0,
    failedPermanent: 0,
    exhausted: 0,
    inDlq: 0,
    lost: 0,
    failedNotDeadLettered: 0,
    unrecordedDeadLetters: 0,
    conflictingOutcomes: 0,
    orderViolations: 0,
  };
  for (const message of sent) {
    const entries = historyOf.get(message.messageId) ?? [];
    const applied = entries.some((e) => e.outcome === 'PROVISIONED' || e.outcome === 'REMOVED');
    const failed = entries.filter((e) => e.outcome === 'FAILED').at(-1);
    const letters = handLettered.get(message.messageId) ?? [];
    const movedBySqs = moved.has(message.messageId);
    for (const entry of entries) {
      const problem = timeProblem(entry, message);
      if (problem) {
        counts.orderViolations += 1;
        problemKeys.add(message.send.request.key);
        problems.push(problem);
      }
    }
    if (applied && failed) {
      counts.conflictingOutcomes += 1;
    }

    let fate: MessageFate;
    if (applied) {
      fate = 'applied';
      counts.succeeded += 1;
    } else if (failed || movedBySqs || letters.length > 0) {
      fate = 'failed';
      if (failed && permanent.has(failed.reasonCode ?? '')) {
        counts.failedPermanent += 1;
      } else {
        counts.exhausted += 1;
      }
      if (letters.length > 0 || movedBySqs) {
        counts.inDlq += 1;
      }
      if (!failed) {
        counts.unrecordedDeadLetters += 1;
        problemKeys.add(message.send.request.key);
        problems.push(`${message.messageId} was dead-lettered by SQS with no FAILED record`);
      } else if (!letters.some((letter) => letter.reasonCode === failed.reasonCode)) {
        counts.failedNotDeadLettered += 1;
        problemKeys.add(message.send.request.key);
        problems.push(`${message.messageId} is FAILED (${failed.reasonCode}) with no dead letter`);
      }
    } else if (entries.some((e) => e.outcome === 'SKIPPED_STALE')) {
      fate = 'stale';
      counts.staleSkipped += 1;
    } else {
      fate = 'lost';
      counts.lost += 1;
      problems.push(`${message.messageId} (${message.send.request.id}) has no recorded outcome`);
      problemKeys.add(message.send.request.key);
    }
    fates.set(message.messageId, fate);
  }

  const sentByRequest = groupBy(sent, (message) => message.send.request.id);
  const requestOf = new Map<string, PlannedRequest>(
    sent.map((message) => [message.messageId, message.send.request]),
  );
  const historyByKey = groupBy(
    observed.history.filter((entry) => requestOf.has(entry.messageId)),
    (entry) => requestOf.get(entry.messageId)?.key ?? '',
  );
  let wrongFinalState = 0;
  let settledByFailure = 0;
  let duplicateWrites = replayWrites;
  for (const plan of workload.keys) {
    const requests = plan.requests.map((request) => ({
      request,
      fates: (sentByRequest.get(request.id) ?? []).map(
        (message) => fates.get(message.messageId) ?? 'lost',
      ),
    }));
    const expectation = expectedState(requests);
    const credential = observed.leaf.get(plan.key);
    const holding = holdingOf(credential, plan.key, secrets);
    const history = historyByKey.get(plan.key) ?? [];
    const leafRight = expectation.allowed.some((allowed) => sameHolding(allowed, holding));
    const recordWrong = recordProblems({
      plan,
      record: observed.records.get(plan.key),
      history,
      holding,
      leafCredentialId: credential?.id,
      requestOf,
    });
    if (!leafRight) {
      problems.push(
        `${plan.key}: Leaf holds ${describeHolding(holding)}, expected ${expectation.allowed.map(describeHolding).join(' or ')} (deciding ${expectation.deciding?.id ?? 'none'})`,
      );
    }
    problems.push(...recordWrong.map((problem) => `${plan.key}: ${problem}`));
    if (!leafRight || recordWrong.length > 0) {
      wrongFinalState += 1;
      problemKeys.add(plan.key);
    } else if (!sameHolding(holding, expectation.exact)) {
      settledByFailure += 1;
    }

    const order = orderProblems(history);
    counts.orderViolations += order.length;
    if (order.length > 0) {
      problemKeys.add(plan.key);
    }
    problems.push(...order.map((problem) => `${plan.key}: ${problem}`));

    // Each request started may write at most once of each kind: a provision removes a different
    // credential and creates its own, a deprovision removes. Anything beyond repeats a write.
    const ran = requests.filter(({ request }) =>
      (sentByRequest.get(request.id) ?? []).some((message) => started.has(message.messageId)),
    );
    const writes = observed.leafWrites.get(plan.key) ?? { post: 0, delete: 0 };
    const extra =
      Math.max(
        0,
        writes.post - ran.filter(({ request }) => request.operation === 'PROVISION').length,
      ) + Math.max(0, writes.delete - ran.length);
    if (extra > 0) {
      problemKeys.add(plan.key);
      problems.push(
        `${plan.key}: ${writes.post} creations and ${writes.delete} removals at Leaf for ${ran.length} requests that ran`,
      );
    }
    duplicateWrites += extra;
  }

  return {
    ...counts,
    wrongFinalState,
    settledByFailure,
    duplicateWrites,
    problems,
    problemKeys,
  };
};
