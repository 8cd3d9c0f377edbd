import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from '../../functions/shared/aws-clients';
import type { BenchEnvironment } from './environment';
import { benchHandler, expectNoFailures } from './provision-handler';
import { startTcpCounter } from './tcp-counter';

/** Records over which Leaf connections are counted back to back. */
const connectionWindow = 100;

/** What one execution environment did for `records` records, from a cold token cache. */
export interface WarmHandlerResult {
  readonly records: number;
  /** Time inside the handler, summed over the invocations. */
  readonly ms: number;
  /** Calls to Leaf's `/api/authenticate`, as the sandbox counted them. */
  readonly authCalls: number;
  /** TCP connections opened to Leaf over the first 100 records, one invocation after another. */
  readonly leafConnectionsFirst100: number;
  /** TCP connections opened to Leaf and to AWS (moto) over all records. */
  readonly leafConnections: number;
  readonly awsConnections: number;
  readonly leafRequests: number;
  /** GetSecretValue calls for the API-owner secret, and for grower secrets. */
  readonly apiOwnerSecretReads: number;
  readonly growerSecretReads: number;
}

/**
 * Passes `records` records, in batches of `batchSize`, through one provision handler built from
 * scratch, as one execution environment would see them one invocation after another. Leaf and
 * moto are reached through counting relays, and the Secrets Manager client counts reads by secret.
 */
export const measureWarmHandler = async (
  env: BenchEnvironment,
  records: number,
  batchSize: number,
): Promise<WarmHandlerResult> => {
  const leafRelay = await startTcpCounter(env.sandbox.url);
  const awsRelay = await startTcpCounter(env.moto.endpoint);
  const secretReads = new Map<string, number>();
  // Built like functions/shared/aws-clients.ts, only reaching moto through the relay.
  const secrets = new SecretsManagerClient({ endpoint: awsRelay.url });
  secrets.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetSecretValueCommand') {
        const id = String((args.input as { SecretId?: string }).SecretId);
        secretReads.set(id, (secretReads.get(id) ?? 0) + 1);
      }

      return next(args);
    },
    { step: 'initialize', name: 'benchSecretReadCounter' },
  );
  const aws: AwsClients = {
    sqs: new SQSClient({ endpoint: awsRelay.url }),
    secrets,
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: awsRelay.url }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  };
  const handler = benchHandler(env.provisionEnv(leafRelay.url), aws);
  env.sandbox.setLatency(0);
  const before = env.sandbox.stats();

  let ms = 0;
  let leafConnectionsFirst100 = 0;
  try {
    for (let done = 0; done < records; done += batchSize) {
      const run = await handler.invoke(env.provisionBatch(Math.min(batchSize, records - done)));
      expectNoFailures(run.answer, `records ${done}-${done + batchSize}`);
      ms += run.ms;
      if (done + batchSize === connectionWindow) {
        leafConnectionsFirst100 = leafRelay.connections();
      }
      // Not within the first 100 records: emptying the table takes long enough on a loaded
      // machine for idle connections to expire, which would count the bench's pause, not ours.
      if (done + batchSize >= connectionWindow) {
        await env.clearStatusTable();
      }
    }
  } finally {
    for (const client of Object.values(aws)) {
      client.destroy();
    }
    await leafRelay.close();
    await awsRelay.close();
  }
  const after = env.sandbox.stats();
  const apiOwnerSecretReads = secretReads.get(env.resources.apiOwnerSecretId) ?? 0;
  const allReads = [...secretReads.values()].reduce((sum, count) => sum + count, 0);

  return {
    records,
    ms,
    authCalls: after.authCalls - before.authCalls,
    leafConnectionsFirst100,
    leafConnections: leafRelay.connections(),
    awsConnections: awsRelay.connections(),
    leafRequests: after.requests - before.requests,
    apiOwnerSecretReads,
    growerSecretReads: allReads - apiOwnerSecretReads,
  };
};
