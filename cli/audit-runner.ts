import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { AuditAnswer, AuditFailure, AuditRequest } from '../functions/shared/audit';
import type { CliClients } from './aws-clients';
import { ConfigurationError } from './errors';
import { invokeJsonFunction } from './invoke-function';
import type { ProductConfig } from './product-config';

export type AuditResult = AuditAnswer | AuditFailure;

const localAuditTimeoutMs = 30_000;

/** Invokes the deployed audit function and returns its answer. */
export const invokeAuditFunction = (
  lambda: LambdaClient,
  functionName: string,
  request: AuditRequest,
): Promise<AuditResult> => invokeJsonFunction<AuditResult>(lambda, functionName, request, 'audit');

/**
 * Runs the audit handler in this process, as the local environment runs every function: against
 * the Leaf sandbox and the emulated table, with the same code the audit Lambda runs.
 */
export const runAuditLocally = async (
  config: ProductConfig,
  clients: CliClients,
  request: AuditRequest,
): Promise<AuditResult> => {
  if (!config.leaf) {
    throw new ConfigurationError(
      `${config.source} names no Leaf API (leaf.apiBaseUrl, leaf.apiOwnerSecretId) for a local audit`,
    );
  }
  // Loaded only here: the handler brings the Leaf client and the logger, which nothing else needs.
  const [{ createAuditHandler }, { createLeafRuntime }, { createLambdaContext }] =
    await Promise.all([
      import('../functions/shared/audit'),
      import('../functions/shared/leaf-runtime'),
      import('../local/lambda-context'),
    ]);
  const leafConfig = {
    leafApiBaseUrl: config.leaf.apiBaseUrl,
    leafApiOwnerSecretId: config.leaf.apiOwnerSecretId,
    leafRequestTimeoutMs: config.leaf.requestTimeoutMs,
    statusTableName: config.statusTableName,
  };
  const runtime = createLeafRuntime(leafConfig, {
    sqs: clients.sqs(),
    secrets: clients.secrets(),
    dynamo: clients.dynamo(),
  });
  const handler = createAuditHandler(leafConfig, runtime);

  return handler(
    request,
    createLambdaContext({ functionName: 'leaf-cnhi-local-audit', timeoutMs: localAuditTimeoutMs }),
  );
};
