import type { Context } from 'aws-lambda';
import type { ScheduledAuditConfig } from './env';
import { createLeafRuntime, type LeafRuntime } from './leaf-runtime';
import { logger } from './logger';
import { publishMetrics, recordScheduledAudit } from './metrics';
import { createOutcomePublisher, type OutcomePublisher } from './outcome-events';
import {
  type AuditedCredential,
  runScheduledAudit,
  type ScheduledAuditReport,
} from './scheduled-audit';

/** How many records an answer lists at most, so it stays far below Lambda's 6 MB. */
const listLimit = 1_000;

/**
 * The report as the function answers it and the operator command prints it: the totals, and
 * only the records that need attention (those that do not agree with Leaf, and those missed).
 */
export type ScheduledAuditAnswer = Omit<ScheduledAuditReport, 'audited'> & {
  readonly audited: number;
  readonly attention: readonly AuditedCredential[];
};

/** The answer of a report: totals, then the records to look at, each list capped. */
export const answerOf = (report: ScheduledAuditReport): ScheduledAuditAnswer => ({
  ...report,
  audited: report.audited.length,
  attention: report.audited.filter((a) => a.agreement !== 'AGREES').slice(0, listLimit),
  missed: report.missed.slice(0, listLimit),
});

/**
 * The scheduled audit's handler, invoked by an EventBridge schedule. The run's totals go to the
 * log and to metrics (the unhealthy count has an alarm); each differing record is logged with its
 * findings. A refusal of the API owner throws, so the function's error alarm fires.
 */
export const createScheduledAuditHandler =
  (
    config: ScheduledAuditConfig,
    runtime: LeafRuntime = createLeafRuntime(config),
    events: OutcomePublisher | undefined = config.outcomeEventBusName
      ? createOutcomePublisher({ eventBusName: config.outcomeEventBusName })
      : undefined,
  ) =>
  async (event: unknown, context: Context): Promise<ScheduledAuditAnswer> => {
    try {
      const report = await runScheduledAudit(
        { leaf: runtime.leaf, store: runtime.store, events },
        {
          requestsPerMinute: config.auditRequestsPerMinute,
          concurrency: config.auditConcurrency,
          timeLeftMs: () => context.getRemainingTimeInMillis(),
          // The schedule's event has no such field; `leaf-cnhi audit --all --read-only` sends it.
          write: (event as { write?: unknown } | null)?.write !== false,
        },
      );
      for (const credential of report.audited.filter((a) => a.agreement === 'DIFFERS')) {
        logger.warn('audit found drift', {
          leafUserId: credential.leafUserId,
          provider: credential.provider,
          findings: credential.findings,
        });
      }
      const answer = answerOf(report);
      const { attention: _attention, missed: _missed, ...totals } = answer;
      logger.info('scheduled audit finished', { ...totals, missed: report.missed.length });
      recordScheduledAudit({
        audited: answer.audited,
        unhealthy: report.unhealthy,
        drifted: report.differing,
        missed: report.missed.length,
      });

      return answer;
    } finally {
      publishMetrics();
    }
  };
