import pLimit from 'p-limit';
import { type Agreement, compare } from './audit';
import { type ProvisionerError, toProvisionerError } from './errors';
import type { LeafClient, LeafCredentialSummary } from './leaf-client';
import type { AuditNote, ObservationEntry, ObservedRecord } from './leaf-observations';
import { leafAuthReasons } from './metric-names';
import type { OutcomePublisher } from './outcome-events';
import type { Provider } from './providers';
import { createRequestPacer } from './request-pacer';
import type { StatusStore } from './status-store';

/** What a run needs; the handler and the operator command build it each their own way. */
export interface ScheduledAuditDependencies {
  readonly leaf: Pick<LeafClient, 'getCredential'>;
  readonly store: Pick<StatusStore, 'currentRecords' | 'recordAudit'>;
  /** Receives a `DriftFound` event per record that newly differs; none when absent. */
  readonly events?: OutcomePublisher;
}

export interface ScheduledAuditOptions {
  readonly requestsPerMinute: number;
  readonly concurrency: number;
  /** Milliseconds the run may still use; no Leaf read starts with less than a reserve left. */
  readonly timeLeftMs: () => number;
  /** Whether to note the results in the records. @default true */
  readonly write?: boolean;
}

/** One record as the audit found it. Ids, states and Leaf's status only: never a secret. */
export interface AuditedCredential {
  readonly leafUserId: string;
  readonly provider: Provider;
  readonly state: ObservedRecord['state'];
  readonly agreement: Agreement;
  readonly findings: readonly string[];
  readonly leafStatus?: string;
  readonly recordedCredentialId?: string;
  readonly leafCredentialId?: string;
  /** `changed` when a request updated the record meanwhile, so the note was dropped. */
  readonly noted: 'recorded' | 'changed' | 'not-written';
}

/** A record the run could not compare. */
export interface MissedCredential {
  readonly leafUserId: string;
  readonly provider: Provider;
  readonly reasonCode: string;
}

/** The report of one run: the Lambda logs its totals, the operator command prints all of it. */
export interface ScheduledAuditReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Current records found in the table. */
  readonly records: number;
  readonly agreeing: number;
  readonly differing: number;
  readonly unsettled: number;
  /** Credentials Leaf holds with a status other than `OK`. */
  readonly unhealthy: number;
  readonly audited: readonly AuditedCredential[];
  readonly missed: readonly MissedCredential[];
}

// Enough to record a result after the last read; the function's own timeout covers the rest.
const reserveMs = 10_000;
// One read with its in-call retries; Leaf's own timeout bounds each attempt within it.
const readBudgetMs = 30_000;
const authFailures: ReadonlySet<string> = new Set(leafAuthReasons);

const sameFindings = (a: readonly string[] = [], b: readonly string[] = []) =>
  a.length === b.length && a.every((finding, i) => finding === b[i]);

/** The history entry an audit result deserves, if any: drift found or cleared, a new status. */
export const observationOf = (
  seen: ObservedRecord,
  note: AuditNote,
): ObservationEntry | undefined => {
  // A record never audited counts as agreeing, so a first audit that agrees adds nothing.
  const before = seen.auditAgreement ?? 'AGREES';
  const base = {
    operation: 'SCHEDULED_AUDIT' as const,
    at: note.at,
    messageId: `audit-${note.at}`,
    leafStatus: note.leaf?.status,
    credentialId: note.leaf?.id,
    reasonMessage: note.findings.join('; ') || undefined,
  };
  if (
    note.agreement === 'DIFFERS' &&
    (before !== 'DIFFERS' || !sameFindings(seen.auditFindings, note.findings))
  ) {
    return { ...base, outcome: 'DRIFT_FOUND' };
  }
  if (note.agreement === 'AGREES' && before === 'DIFFERS') {
    return { ...base, outcome: 'DRIFT_CLEARED' };
  }
  if (note.leaf && note.leaf.status !== seen.leafStatus) {
    return { ...base, outcome: 'LEAF_STATUS_CHANGED' };
  }

  return undefined;
};

// Least recently audited first (never audited before all), so a run cut short by time is
// continued where it matters by the next.
const byAuditAge = (a: ObservedRecord, b: ObservedRecord) =>
  (a.auditedAt ?? '').localeCompare(b.auditedAt ?? '');

const auditOne = async (
  deps: ScheduledAuditDependencies,
  seen: ObservedRecord,
  budgetMs: number,
  write: boolean,
): Promise<AuditedCredential> => {
  const held = await deps.leaf.getCredential(seen.leafUserId, seen.provider, { budgetMs });
  const leaf: LeafCredentialSummary | undefined = held?.summary;
  const { agreement, findings } = compare(leaf, seen);
  const note: AuditNote = {
    at: new Date().toISOString(),
    agreement,
    findings,
    leaf: leaf ? { id: leaf.id, status: leaf.status } : undefined,
  };
  const history = observationOf(seen, note);
  // Published before the note is written: a failed publish leaves the record as it was, so the
  // next run finds the drift new again and publishes it then (at least once, never lost).
  if (history?.outcome === 'DRIFT_FOUND' && deps.events) {
    await deps.events.publish({
      type: 'DriftFound',
      leafUserId: seen.leafUserId,
      provider: seen.provider,
      credentialId: leaf?.id ?? seen.credentialId,
      leafStatus: leaf?.status,
      findings,
      time: new Date(note.at),
    });
  }
  const noted = write ? await deps.store.recordAudit(seen, note, history) : 'not-written';

  return {
    leafUserId: seen.leafUserId,
    provider: seen.provider,
    state: seen.state,
    agreement,
    findings,
    leafStatus: leaf?.status,
    recordedCredentialId: seen.credentialId,
    leafCredentialId: leaf?.id,
    noted,
  };
};

/**
 * Reads every recorded (user, provider) back from Leaf, at most `concurrency` at once and
 * `requestsPerMinute` in all, compares each with its record and notes the result there. A record
 * whose read fails is reported missed; a refusal of the API owner itself stops the run and throws,
 * since no further read could succeed.
 */
export const runScheduledAudit = async (
  deps: ScheduledAuditDependencies,
  options: ScheduledAuditOptions,
): Promise<ScheduledAuditReport> => {
  const startedAt = new Date().toISOString();
  const records: ObservedRecord[] = [];
  for await (const page of deps.store.currentRecords()) {
    records.push(...page);
  }
  records.sort(byAuditAge);
  const limit = pLimit(options.concurrency);
  const pace = createRequestPacer(options.requestsPerMinute);
  const audited: AuditedCredential[] = [];
  const missed: MissedCredential[] = [];
  // Set by the first refusal of the API owner; the reads still queued are then skipped.
  const stop: { refused?: ProvisionerError } = {};
  const stopped = () => stop.refused !== undefined;
  const stopReason = () => stop.refused?.reason ?? 'NOT_ENOUGH_TIME';

  await Promise.all(
    records.map((seen) =>
      limit(async () => {
        const miss = (reasonCode: string) => {
          missed.push({ leafUserId: seen.leafUserId, provider: seen.provider, reasonCode });
        };
        if (stopped() || options.timeLeftMs() < reserveMs) {
          return miss(stopReason());
        }
        await pace();
        const budgetMs = Math.min(readBudgetMs, options.timeLeftMs() - reserveMs);
        if (stopped() || budgetMs <= 0) {
          return miss(stopReason());
        }
        try {
          audited.push(await auditOne(deps, seen, budgetMs, options.write ?? true));
        } catch (error) {
          const failure = toProvisionerError(error);
          if (authFailures.has(failure.reason)) {
            stop.refused ??= failure;
          }
          miss(failure.reason);
        }
      }),
    ),
  );
  if (stop.refused) {
    throw stop.refused;
  }
  const counted = (agreement: Agreement) => audited.filter((a) => a.agreement === agreement).length;

  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    records: records.length,
    agreeing: counted('AGREES'),
    differing: counted('DIFFERS'),
    unsettled: counted('UNSETTLED'),
    unhealthy: audited.filter((a) => a.leafStatus !== undefined && a.leafStatus !== 'OK').length,
    audited,
    missed,
  };
};
