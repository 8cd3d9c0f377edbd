import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { logger } from '../../functions/shared/logger';
import type { LocalEnvironment, LocalEnvironmentOptions } from '../../local/local-environment';
import { captureOutput } from '../../test/helpers/captured-output';
import { findCanaries, gatherExposedText } from '../../test/helpers/leak-check';
import { watchClaims } from './claim-watch';
import { writeDump } from './dump';
import { faultRules } from './fault-plan';
import { observe } from './observations';
import type { ChaosOptions } from './options';
import type { Progress } from './progress';
import { seededRandom } from './random';
import { directDelivery, replayCompleted, seedGrowers, sendWorkload } from './traffic';
import { type Verdict, verify } from './verify';
import { planWorkload, type WorkloadShape } from './workload';

/** The figures of a run: the last line `npm run chaos` prints. */
export interface ChaosFigures extends Omit<Verdict, 'problems' | 'problemKeys'> {
  readonly requests: number;
  /** Extra deliveries of sent messages handed straight to a handler, replays included. */
  readonly redeliveries: number;
  readonly secretLeaks: number;
  readonly keys: number;
  readonly users: number;
  readonly leafRequests: number;
  readonly leafWrites: { readonly post: number; readonly delete: number };
  readonly faultsInjected: number;
  readonly authCalls: number;
  readonly tokensIssued: number;
  /** Tokens beyond one per Leaf client and token lifetime: renewals that were not shared. */
  readonly extraAuthentications: number;
  readonly invocations: number;
  /** Invocations that ran past the function timeout, whose whole batch came again. */
  readonly invocationTimeouts: number;
  readonly seed: number;
  readonly seconds: number;
}

export interface ChaosResult {
  readonly figures: ChaosFigures;
  readonly problems: readonly string[];
  /** The figures that must be zero and are not. */
  readonly failures: readonly (keyof ChaosFigures)[];
}

/** Figures the issue requires to be zero; the run fails when one is not. */
export const requiredZeros = [
  'lost',
  'wrongFinalState',
  'secretLeaks',
  'failedNotDeadLettered',
  'orderViolations',
  'duplicateWrites',
  'extraAuthentications',
] as const satisfies readonly (keyof ChaosFigures)[];

// The provisioning and deprovisioning handlers, the audit runtime, and the two direct-delivery
// handlers each keep their own Leaf token, as separate execution environments would.
const leafClients = 5;

/**
 * The local environment a chaos run needs. The visibility timeout outlasts the function timeout,
 * as in AWS, so a message comes back while it is still being handled only when its invocation
 * timed out.
 */
export const chaosEnvironmentOptions = (options: ChaosOptions): LocalEnvironmentOptions => ({
  namePrefix: `chaos-${options.seed}-${Date.now().toString(36)}`,
  maxAttempts: options.maxAttempts,
  visibilityTimeoutSeconds: Math.ceil(options.functionTimeoutMs / 1000) + 5,
  retryBaseDelaySeconds: options.retryBaseDelaySeconds,
  retryMaxDelaySeconds: options.retryMaxDelaySeconds,
  recordConcurrency: 10,
  functionTimeoutMs: options.functionTimeoutMs,
  leafRequestTimeoutMs: options.leafRequestTimeoutMs,
  maxConcurrency: options.concurrency,
  sandbox: { seed: options.seed },
});

/**
 * Runs the workload through an environment started with {@link chaosEnvironmentOptions}: seeds
 * growers, injects faults, sends, waits for the queues to empty, then reads everything back and
 * compares it with the expected-state model. Searches every log line (at DEBUG), status item,
 * dead letter and audit answer for the canary secrets.
 */
export const runChaos = async (
  env: LocalEnvironment,
  options: ChaosOptions,
  progress: Progress,
  shape?: WorkloadShape,
): Promise<ChaosResult> => {
  const started = Date.now();
  const random = seededRandom(options.seed);
  const workload = planWorkload(options.requests, random, shape);
  progress.line(
    `${workload.sends.length} messages for ${workload.keys.length} (user, provider) pairs of ${workload.users.length} users`,
  );
  const growers = await seedGrowers(env, workload);
  progress.line(`${growers.secrets.size} grower secrets stored; injecting faults`);
  for (const rule of faultRules(options.faults, options.leafRequestTimeoutMs)) {
    env.sandbox.injectFault(rule);
  }

  const claims = watchClaims();
  const level = logger.getLevelName();
  logger.setLogLevel('DEBUG');
  const output = captureOutput();
  let logs = '';
  let answers: unknown[] = [];
  let sending = true;
  let sentCount = 0;
  const stopTicker = progress.every(5_000, () => {
    const stats = env.sandbox.stats();
    const p = env.provisionPoller.stats;
    const d = env.deprovisionPoller.stats;

    return [
      sending ? `sending ${sentCount}/${workload.sends.length}` : 'draining',
      `Leaf ${stats.requests} requests, ${stats.faultsInjected} faults, ${stats.writes.post} creations, ${stats.writes.delete} removals`,
      `deleted ${p.deleted + d.deleted}, redelivered ${p.failed + d.failed}, timeouts ${p.timeouts + d.timeouts}`,
    ].join(' · ');
  });
  try {
    const direct = directDelivery(env, options, growers);
    const { sent, redeliveries } = await sendWorkload(
      env,
      workload,
      growers,
      options,
      direct,
      random,
      progress,
      (count) => {
        sentCount = count;
      },
    );
    sending = false;
    await env.drain({ idleMs: 3_000, timeoutMs: options.drainTimeoutMs });
    env.sandbox.clearFaults();
    // A timed-out invocation goes on in the background here, as Lambda's frozen one would not.
    await sleep(1_000);
    const replay = await replayCompleted(env, workload, sent, direct);
    progress.line(`queues empty; replayed ${replay.replayed} completed messages`);

    const stats = env.sandbox.stats();
    const limit = pLimit(8);
    answers = await Promise.all(
      workload.keys.map((plan) => limit(() => env.audit(plan.leafUserId, plan.provider))),
    );
    logs = output.text();
    output.restore();
    const exposed = await gatherExposedText(env, logs, answers);
    const leaks = findCanaries(exposed);
    // gatherExposedText reads the dead letters with a two-second hold; observe reads them again.
    await sleep(2_500);
    const observed = await observe(env, workload);
    const verdict = verify(
      workload,
      sent,
      observed,
      growers.secrets,
      claims.started,
      replay.writes,
    );
    const pollers = [env.provisionPoller.stats, env.deprovisionPoller.stats];
    const { problems, problemKeys, ...counts } = verdict;
    if (options.dumpFile && problemKeys.size > 0) {
      await writeDump(options.dumpFile, {
        workload,
        sent,
        observed,
        secrets: growers.secrets,
        logs,
        leafLog: stats.log,
        keys: problemKeys,
      });
      progress.line(`details of ${problemKeys.size} keys with problems in ${options.dumpFile}`);
    }

    const figures: ChaosFigures = {
      requests: sent.length,
      ...counts,
      redeliveries: redeliveries + replay.replayed,
      secretLeaks: leaks.length,
      keys: workload.keys.length,
      users: workload.users.length,
      leafRequests: stats.requests,
      leafWrites: stats.writes,
      faultsInjected: stats.faultsInjected,
      authCalls: stats.authCalls,
      tokensIssued: stats.tokensIssued,
      extraAuthentications: Math.max(
        0,
        stats.tokensIssued - leafClients * (1 + options.tokenExpiries),
      ),
      invocations: pollers.reduce((sum, s) => sum + s.invocations, 0),
      invocationTimeouts: pollers.reduce((sum, s) => sum + s.timeouts, 0),
      seed: options.seed,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };

    return {
      figures,
      problems: [...problems, ...leaks.map((leak) => `secret leaked: …${leak}…`)],
      failures: requiredZeros.filter((name) => figures[name] !== 0),
    };
  } finally {
    claims.stop();
    stopTicker();
    output.restore();
    logger.setLogLevel(level);
  }
};
