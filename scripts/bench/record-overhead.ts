import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { envNames } from '../../functions/shared/env-names';
import { createOutcomePublisher } from '../../functions/shared/outcome-events';
import { providers } from '../../functions/shared/providers';
import type { CredentialRequest } from '../../functions/shared/requests';
import { statusTableSchema } from '../../functions/shared/status-table-schema';
import type { BenchEnvironment } from './environment';
import { benchHandler, expectNoFailures } from './provision-handler';
import { median } from './stats';

/** Medians of one record's work, through the handler and made directly, with Leaf at 0 ms. */
export interface RecordOverheadResult {
  /** A one-record batch through the warm provision handler. */
  readonly handlerMs: number;
  /** The necessary calls in a row: grower secret, Leaf GET, Leaf POST, one status write. */
  readonly directMs: number;
  /** Each necessary call alone. */
  readonly secretMs: number;
  readonly leafGetMs: number;
  readonly leafPostMs: number;
  readonly statusPutMs: number;
  /** The handler's own status writes, called directly: the lease and the outcome. */
  readonly claimMs: number;
  readonly completeMs: number;
  /** The claim and the grower secret read made side by side, as the handler now makes them. */
  readonly claimWithSecretMs: number;
  /**
   * The outcome event (EventBridge PutEvents to moto), a required call of the handler's that the
   * necessary calls do not make; without it here, it would be counted as "our code".
   */
  readonly publishMs: number;
}

const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const result = await work();

  return [result, performance.now() - started];
};

/**
 * Compares one record through the handler with the calls it cannot do without, made directly
 * with warm clients in the same run. Both sides alternate in every repetition, so a slow moment
 * of the shared machine hits both. The handler's two status writes are timed alone as well, to
 * show where the difference goes.
 */
export const measureRecordOverhead = async (
  env: BenchEnvironment,
  repetitions: number,
): Promise<RecordOverheadResult> => {
  const handler = benchHandler(env.provisionEnv());
  const secrets = new SecretsManagerClient({});
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const leafPath = providers.cnhi.leafPath;
  const { store } = handler.runtime;
  const publisher = createOutcomePublisher({
    eventBusName: env.provisionEnv()[envNames.outcomeEventBusName] as string,
  });
  env.sandbox.setLatency(0);

  const authenticate = await fetch(`${env.sandbox.url}/api/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ ...env.apiOwner, rememberMe: false }),
  });
  const { id_token: token } = (await authenticate.json()) as { id_token: string };
  const authorization = `Bearer ${token}`;

  const direct = async () => {
    const user = env.newUser();
    const url = `${env.sandbox.url}/services/usermanagement/api/users/${user}/${leafPath}`;
    const [secret, secretMs] = await timed(() =>
      secrets.send(new GetSecretValueCommand({ SecretId: env.growerSecretIds[0] })),
    );
    const [, leafGetMs] = await timed(async () => {
      const held = await fetch(url, { headers: { authorization, accept: 'application/json' } });
      await held.body?.cancel();
    });
    const [, leafPostMs] = await timed(async () => {
      const created = await fetch(url, {
        method: 'POST',
        headers: { authorization, accept: 'application/json', 'content-type': 'application/json' },
        body: secret.SecretString,
      });
      await created.json();
    });
    const [, statusPutMs] = await timed(() =>
      dynamo.send(
        new PutCommand({
          TableName: env.resources.tableName,
          Item: {
            [statusTableSchema.partitionKey]: `BENCH#${user}`,
            [statusTableSchema.sortKey]: 'CURRENT#cnhi',
            state: 'PROVISIONED',
            updatedAt: new Date().toISOString(),
          },
        }),
      ),
    );

    return { secretMs, leafGetMs, leafPostMs, statusPutMs };
  };

  const leaseAndOutcome = async () => {
    const request: CredentialRequest = {
      operation: 'PROVISION',
      messageId: randomUUID(),
      leafUserId: randomUUID(),
      provider: 'cnhi',
      requestedAt: new Date().toISOString(),
      receiveCount: 1,
      secretId: env.growerSecretIds[0],
    };
    const [, claimMs] = await timed(() => store.claim(request, 30_000));
    const overlapped = { ...request, messageId: randomUUID(), leafUserId: randomUUID() };
    const [, claimWithSecretMs] = await timed(() =>
      Promise.all([
        store.claim(overlapped, 30_000),
        secrets.send(new GetSecretValueCommand({ SecretId: env.growerSecretIds[0] })),
      ]),
    );
    const [, completeMs] = await timed(() =>
      store.complete(request, { state: 'PROVISIONED', action: 'CREATED', leafStatus: 'OK' }),
    );
    const [, publishMs] = await timed(() =>
      publisher.publish({
        type: 'CredentialProvisioned',
        leafUserId: request.leafUserId,
        provider: request.provider,
        operation: request.operation,
        messageId: request.messageId,
        requestedAt: request.requestedAt,
        attempts: 1,
        action: 'CREATED',
        leafStatus: 'OK',
      }),
    );

    return { claimMs, completeMs, claimWithSecretMs, publishMs };
  };

  const samples = {
    handler: [] as number[],
    direct: [] as number[],
    secret: [] as number[],
    leafGet: [] as number[],
    leafPost: [] as number[],
    statusPut: [] as number[],
    claim: [] as number[],
    complete: [] as number[],
    claimWithSecret: [] as number[],
    publish: [] as number[],
  };
  try {
    // Warm both sides: token, connections, JIT.
    for (let i = 0; i < 5; i++) {
      await handler.invoke(env.provisionBatch(1));
      await direct();
      await leaseAndOutcome();
      await env.clearStatusTable();
    }
    for (let rep = 0; rep < repetitions; rep++) {
      const through = await handler.invoke(env.provisionBatch(1));
      expectNoFailures(through.answer, 'overhead record');
      samples.handler.push(through.ms);

      const [calls, directMs] = await timed(direct);
      samples.direct.push(directMs);
      samples.secret.push(calls.secretMs);
      samples.leafGet.push(calls.leafGetMs);
      samples.leafPost.push(calls.leafPostMs);
      samples.statusPut.push(calls.statusPutMs);

      const writes = await leaseAndOutcome();
      samples.claim.push(writes.claimMs);
      samples.complete.push(writes.completeMs);
      samples.claimWithSecret.push(writes.claimWithSecretMs);
      samples.publish.push(writes.publishMs);
      await env.clearStatusTable();
    }
  } finally {
    secrets.destroy();
    dynamo.destroy();
  }

  return {
    handlerMs: median(samples.handler),
    directMs: median(samples.direct),
    secretMs: median(samples.secret),
    leafGetMs: median(samples.leafGet),
    leafPostMs: median(samples.leafPost),
    statusPutMs: median(samples.statusPut),
    claimMs: median(samples.claim),
    completeMs: median(samples.complete),
    claimWithSecretMs: median(samples.claimWithSecret),
    publishMs: median(samples.publish),
  };
};
