import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { ScheduledAuditAnswer } from '../functions/shared/scheduled-audit-handler';
import type { CliClients } from './aws-clients';
import { ConfigurationError } from './errors';
import { invokeJsonFunction } from './invoke-function';
import type { ProductConfig } from './product-config';

/** How a run of `audit --all` may go. */
export interface AuditAllOptions {
  /** Whether the run notes its results in the records, as the scheduled run does. */
  readonly write: boolean;
  /** Leaf requests a minute, for a run in this process; the deployed function has its own. */
  readonly requestsPerMinute: number;
  /** How long a run in this process may take, as the function's 15 minutes bound it. */
  readonly maxMinutes: number;
}

// As in the function's deployment (lib/constructs/scheduled-audit.ts).
const concurrency = 4;

/**
 * Invokes the deployed scheduled audit and waits for its answer, up to its 15 minutes. The event
 * says only whether to write; the function's pace and concurrency are the deployment's.
 */
export const invokeScheduledAudit = (
  lambda: LambdaClient,
  functionName: string,
  options: Pick<AuditAllOptions, 'write'>,
): Promise<ScheduledAuditAnswer> =>
  invokeJsonFunction<ScheduledAuditAnswer>(
    lambda,
    functionName,
    { write: options.write },
    'scheduled audit',
  );

/**
 * Runs the scheduled audit's core in this process against the Leaf the configuration names (the
 * sandbox, locally), with the same code and the same answer as the function. It publishes no
 * outcome events: the configuration names no bus.
 */
export const runScheduledAuditLocally = async (
  config: ProductConfig,
  clients: CliClients,
  options: AuditAllOptions,
): Promise<ScheduledAuditAnswer> => {
  if (!config.leaf) {
    throw new ConfigurationError(
      `${config.source} names no Leaf API (leaf.apiBaseUrl, leaf.apiOwnerSecretId) for a local audit`,
    );
  }
  // Loaded only here: the audit brings the Leaf client, which the other commands never need.
  const [{ runScheduledAudit }, { answerOf }, { createLeafRuntime }] = await Promise.all([
    import('../functions/shared/scheduled-audit'),
    import('../functions/shared/scheduled-audit-handler'),
    import('../functions/shared/leaf-runtime'),
  ]);
  const runtime = createLeafRuntime(
    {
      leafApiBaseUrl: config.leaf.apiBaseUrl,
      leafApiOwnerSecretId: config.leaf.apiOwnerSecretId,
      leafRequestTimeoutMs: config.leaf.requestTimeoutMs,
      statusTableName: config.statusTableName,
    },
    { sqs: clients.sqs(), secrets: clients.secrets(), dynamo: clients.dynamo() },
  );
  const deadline = Date.now() + options.maxMinutes * 60_000;
  const report = await runScheduledAudit(
    { leaf: runtime.leaf, store: runtime.store },
    {
      requestsPerMinute: options.requestsPerMinute,
      concurrency,
      timeLeftMs: () => deadline - Date.now(),
      write: options.write,
    },
  );

  return answerOf(report);
};
