import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Agreement } from './audit';
import { permanentReasons, type ReasonCode, transientReasons } from './errors';
import type { LeafCallName, LeafCallObservation } from './leaf-client';
import { logger } from './logger';
import {
  metricDimensions as dimension,
  metricNamespace,
  metricNames as name,
} from './metric-names';
import type { Operation } from './requests';
import type { Outcome } from './status-store';
import type { WebhookResult } from './webhook-receiver';

/** The `operation` dimension: a consumer's operation, or the audit. */
export type MetricOperation = Operation | 'AUDIT';

/** How one record delivery ended. Each delivery is recorded exactly once. */
export type RecordOutcome =
  /** The work ran and its outcome was stored. */
  | { readonly kind: 'completed'; readonly outcome: Outcome }
  | { readonly kind: 'skippedStale' }
  | { readonly kind: 'skippedDuplicate' }
  /** Recorded FAILED and dead-lettered. */
  | { readonly kind: 'failed'; readonly reasonCode: ReasonCode }
  /** Left on the queue for another delivery. */
  | { readonly kind: 'retried'; readonly reasonCode: ReasonCode };

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];
type Dimensions = Readonly<Record<string, string>>;

interface Series {
  readonly unit: Unit;
  /** One running sum for a count; every sample for a latency. */
  readonly values: number[];
}

/** Data points that share their dimensions, and so one EMF line. */
interface Group {
  readonly dimensions: Dimensions;
  readonly series: Map<string, Series>;
}

// Powertools flushes by itself when a metric reaches 100 values, and then clears the dimensions
// the rest of the line would need; lines are cut one short of that.
const maxValuesPerLine = 99;
const reasonCodes: ReadonlySet<string> = new Set([...permanentReasons, ...transientReasons]);

// Everything recorded and not yet published, by dimensions. See publishMetrics for why one buffer
// serves every invocation of the execution environment.
let pending = new Map<string, Group>();
// Built at the first publish, so it reads POWERTOOLS_METRICS_DISABLED as the process has it then.
let emitter: Metrics | undefined;

const addTo = (metric: string, unit: Unit, dimensions: Dimensions, value: number): void => {
  const key = JSON.stringify(dimensions);
  const group = pending.get(key) ?? { dimensions, series: new Map<string, Series>() };
  pending.set(key, group);
  const series = group.series.get(metric);
  if (!series) {
    group.series.set(metric, { unit, values: [value] });
  } else if (unit === MetricUnit.Count) {
    series.values[0] = (series.values[0] ?? 0) + value;
  } else {
    series.values.push(value);
  }
};

/**
 * Files a value under each of the dimension sets (none: `service` only). One line per set, where
 * EMF would allow several sets in one line: Powertools warns on every publish when two sets
 * share a dimension, as `operation` and `operation, reasonCode` do. CloudWatch counts the same.
 */
const add = (metric: string, unit: Unit, sets: Dimensions[], value: number): void => {
  // Powertools throws on a value that is not a finite number; a lost point is the lesser harm.
  if (!Number.isFinite(value)) {
    return;
  }
  for (const dimensions of sets.length > 0 ? sets : [{}]) {
    addTo(metric, unit, dimensions, value);
  }
};

const count = (metric: string, sets: Dimensions[], value = 1) =>
  add(metric, MetricUnit.Count, sets, value);

const operationOf = (operation: MetricOperation): Dimensions => ({
  [dimension.operation]: operation,
});

// A stored reason is a plain string; only known codes may become a dimension value.
const knownReason = (code: string | undefined): ReasonCode =>
  code && reasonCodes.has(code) ? (code as ReasonCode) : 'INTERNAL_ERROR';

const statusClass = (status: LeafCallObservation['status']): string => {
  if (typeof status !== 'number') {
    return status;
  }

  return status === 429 ? '429' : `${Math.floor(status / 100)}xx`;
};

/** Counts how one record delivery of a consumer ended; call it once per delivery. */
export const recordOutcome = (operation: Operation, result: RecordOutcome): void => {
  const op = operationOf(operation);
  const failedWith =
    result.kind === 'failed'
      ? result.reasonCode
      : result.kind === 'completed' && result.outcome.state === 'FAILED'
        ? knownReason(result.outcome.reasonCode)
        : undefined;
  count(name.requestsHandled, [op]);
  if (failedWith) {
    count(name.requestsFailed, [op, { ...op, [dimension.reasonCode]: failedWith }]);

    return;
  }
  // A zero for every other end keeps the error rate's numerator present whenever its denominator
  // is, so the alarm's expression never divides a missing value.
  count(name.requestsFailed, [op], 0);
  switch (result.kind) {
    case 'completed': {
      const { state, action } = result.outcome;
      const metric =
        state === 'PROVISIONED' ? name.credentialsProvisioned : name.credentialsRemoved;
      count(metric, action ? [op, { ...op, [dimension.action]: action }] : [op]);
      break;
    }
    case 'skippedStale':
      count(name.requestsSkippedStale, [op]);
      break;
    case 'skippedDuplicate':
      count(name.duplicatesSkipped, [op]);
      break;
    case 'retried':
      count(name.requestsRetried, [op, { ...op, [dimension.reasonCode]: result.reasonCode }]);
      break;
  }
};

/** Records one HTTP attempt to Leaf: its latency (unless no connection was made) and status. */
export const recordLeafCall = (
  call: LeafCallName,
  durationMs: number,
  status: LeafCallObservation['status'],
): void => {
  const method = { [dimension.method]: call };
  // A refused connection fails in a millisecond and says nothing about how fast Leaf answers.
  if (status !== 'NETWORK') {
    add(name.leafLatency, MetricUnit.Milliseconds, [method], durationMs);
  }
  count(name.leafResponses, [{ ...method, [dimension.status]: statusClass(status) }]);
};

/** Counts a bearer token obtained from Leaf. */
export const recordTokenRenewal = (): void => count(name.leafTokenRenewals, []);

/** Counts the first invocation of an execution environment. */
export const recordColdStart = (operation: MetricOperation): void =>
  count(name.coldStart, [operationOf(operation)]);

/** Counts an audit: answered with an agreement, or failed with a reason. */
export const recordAudit = (
  result: { readonly agreement: Agreement } | { readonly reasonCode: ReasonCode },
): void => {
  const op = operationOf('AUDIT');
  if ('agreement' in result) {
    count(name.auditsAnswered, [op, { ...op, [dimension.agreement]: result.agreement }]);
  } else {
    count(name.auditsFailed, [op, { ...op, [dimension.reasonCode]: result.reasonCode }]);
  }
};

/** Counts a webhook call by how it was answered. */
export const recordWebhookCall = (result: WebhookResult): void =>
  count(name.webhookCalls, [{ [dimension.result]: result }]);

/**
 * Records the totals of one scheduled audit run. Each run writes every one, zeros included, so an
 * alarm on the latest value clears once a run finds nothing wrong.
 */
export const recordScheduledAudit = (totals: {
  readonly audited: number;
  readonly unhealthy: number;
  readonly drifted: number;
  readonly missed: number;
}): void => {
  count(name.auditedCredentials, [], totals.audited);
  count(name.unhealthyCredentials, [], totals.unhealthy);
  count(name.driftedCredentials, [], totals.drifted);
  count(name.auditRecordsMissed, [], totals.missed);
};

/** The group's values, cut into lines that Powertools will not flush early. */
const linesOf = (group: Group) => {
  const longest = Math.max(...[...group.series.values()].map((series) => series.values.length));

  return Array.from({ length: Math.ceil(longest / maxValuesPerLine) }, (_, line) =>
    [...group.series].map(([metric, { unit, values }]) => ({
      metric,
      unit,
      values: values.slice(line * maxValuesPerLine, (line + 1) * maxValuesPerLine),
    })),
  );
};

/**
 * Writes everything recorded since the last publish as EMF lines on stdout, one per set of
 * dimensions, and empties the buffer. Each handler calls it once, at the end of every invocation.
 *
 * The buffer belongs to the execution environment, not to an invocation. In Lambda an
 * environment runs one invocation at a time, so a publish writes exactly that invocation's data.
 * The local poller may run a handler concurrently: then the first invocation to end also writes
 * what its siblings recorded so far. The buffer is swapped out and written synchronously, so every
 * data point is still written exactly once and with its own dimensions, which is all CloudWatch
 * aggregates. A buffer per invocation would need the Leaf client, which concurrent invocations
 * share, to know whose call it is making.
 */
export const publishMetrics = (): void => {
  const groups = pending;
  pending = new Map();
  // The service name of the logger, so logs and metrics of one function share it.
  emitter ??= new Metrics({ namespace: metricNamespace, serviceName: 'leaf-cnhi-provisioner' });
  try {
    for (const group of groups.values()) {
      for (const line of linesOf(group)) {
        for (const { metric, unit, values } of line) {
          for (const value of values) {
            emitter.addMetric(metric, unit, value);
          }
        }
        if (Object.keys(group.dimensions).length > 0) {
          emitter.addDimensions(group.dimensions);
        }
        emitter.publishStoredMetrics();
      }
    }
  } catch (error) {
    // Metrics must never fail a batch: this runs in the handler's `finally`.
    emitter.clearMetrics();
    emitter.clearDimensions();
    logger.warn('metrics not published', {
      errorType: error instanceof Error ? error.name : typeof error,
    });
  }
};
