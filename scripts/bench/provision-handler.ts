import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AwsClients } from '../../functions/shared/aws-clients';
import { readProvisionConfig } from '../../functions/shared/env';
import { createLeafRuntime, type LeafRuntime } from '../../functions/shared/leaf-runtime';
import { createProvisionHandler } from '../../functions/shared/provisioning';
import { createLambdaContext } from '../../local/lambda-context';

/** The consumer function's timeout in the stack (lib/config.ts, consumerTimeoutSeconds). */
const functionTimeoutMs = 30_000;

/** A provision handler as one execution environment holds it, with its runtime for inspection. */
export interface BenchHandler {
  readonly runtime: LeafRuntime;
  /** Invokes once with a fresh context; resolves with the answer and the wall time. */
  invoke(event: SQSEvent): Promise<{ answer: SQSBatchResponse; ms: number }>;
}

/**
 * Builds the handler exactly as functions/provision.ts does, from the environment the stack sets
 * (defaults included), with its own runtime so its token cache starts empty.
 */
export const benchHandler = (env: Record<string, string>, aws?: AwsClients): BenchHandler => {
  const config = readProvisionConfig(env);
  const runtime = createLeafRuntime(config, aws);
  const handler = createProvisionHandler(config, runtime);

  return {
    runtime,
    invoke: async (event) => {
      const context = createLambdaContext({
        functionName: 'bench-provision',
        timeoutMs: functionTimeoutMs,
      });
      const started = performance.now();
      const answer = await handler(event, context);

      return { answer, ms: performance.now() - started };
    },
  };
};

/** Throws when a measured batch had a failure: its time would not be the time of the work. */
export const expectNoFailures = (answer: SQSBatchResponse, what: string): void => {
  if (answer.batchItemFailures.length > 0) {
    throw new Error(`${what}: ${answer.batchItemFailures.length} record(s) failed`);
  }
};
