import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { envNames } from '../../functions/shared/env-names';
import { statusTableSchema } from '../../functions/shared/status-table-schema';
import type { LocalResources } from '../../local/aws-resources';
import type { LeafSandbox } from '../../local/leaf-sandbox/server';
import { type MotoServer, motoClientEnvironment, startMoto } from '../../local/moto-server';

/** Grower secrets the bench's records share; many users may carry the same credentials. */
const growerSecretCount = 10;

/** What every measurement needs: moto, the Leaf sandbox, the emulated resources, growers. */
export interface BenchEnvironment {
  readonly moto: MotoServer;
  readonly sandbox: LeafSandbox;
  readonly resources: LocalResources;
  readonly apiOwner: { readonly username: string; readonly password: string };
  /** Names of the stored grower secrets; each is a JSON credential set. */
  readonly growerSecretIds: readonly string[];
  /** The provision function's environment, as the stack sets it, pointed at moto and `leafUrl`. */
  provisionEnv(leafUrl?: string): Record<string, string>;
  /** A Leaf user the sandbox knows and holds no credential for. */
  newUser(): string;
  /** A provisioning batch of one fresh user per record, unless `users` are given. */
  provisionBatch(size: number, users?: readonly string[]): SQSEvent;
  /**
   * Deletes every item of the status table. moto copies the whole table for each
   * TransactWriteItems (to roll back), so its cost grows with the table while DynamoDB's does not;
   * emptying the table between timed invocations keeps moto's cost that of a small table.
   */
  clearStatusTable(): Promise<void>;
  close(): Promise<void>;
}

let sequence = 0;

/** One SQS record as Lambda delivers it: a first delivery, sent just now. */
export const sqsRecord = (body: object): SQSRecord => {
  const now = String(Date.now());
  sequence += 1;

  return {
    messageId: randomUUID(),
    receiptHandle: `bench-${sequence}`,
    body: JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: now,
      SenderId: 'BENCH',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:bench-provisioning',
    awsRegion: 'us-east-1',
  };
};

/**
 * Starts moto and points this process's AWS SDK at it, then loads what builds SDK clients (as
 * local/demo.ts does, so every client sees moto), starts the Leaf sandbox and creates the queues,
 * table and secrets the stack would.
 */
export const startBenchEnvironment = async (): Promise<BenchEnvironment> => {
  const moto = await startMoto();
  Object.assign(process.env, motoClientEnvironment(moto.endpoint));
  const {
    createLocalResources,
    createOutcomeBus,
    destroyLocalResources,
    destroyOutcomeBus,
    putGrowerSecret,
  } = await import('../../local/aws-resources');
  const { startLeafSandbox } = await import('../../local/leaf-sandbox/server');

  const namePrefix = `bench-${randomBytes(3).toString('hex')}`;
  const apiOwner = { username: `owner@${namePrefix}.example`, password: randomUUID() };
  const [sandbox, resources] = await Promise.all([
    startLeafSandbox({ apiOwners: [apiOwner] }),
    createLocalResources({ namePrefix, apiOwner }),
  ]);
  // The consumers publish each outcome before acknowledging it, as deployed.
  // No observer rule: moto would deliver to it inside PutEvents, which EventBridge does not.
  const outcomeBus = await createOutcomeBus(namePrefix, { observe: false });
  const growerSecretIds = await Promise.all(
    Array.from({ length: growerSecretCount }, (_, i) =>
      putGrowerSecret(`${resources.growerSecretPrefix}grower-${i}`, {
        clientId: `bench-client-${i}-${randomUUID()}`,
        clientSecret: randomUUID(),
        subscriptionKey: randomUUID(),
        refreshToken: randomUUID(),
        clientEnvironment: 'PRODUCTION',
      }),
    ),
  );

  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const { partitionKey, sortKey } = statusTableSchema;
  const clearStatusTable = async () => {
    for (;;) {
      const { Items = [] } = await dynamo.send(
        new ScanCommand({
          TableName: resources.tableName,
          ProjectionExpression: '#pk, #sk',
          ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
        }),
      );
      if (Items.length === 0) {
        return;
      }
      // Unprocessed deletes are left for the next pass, which scans again.
      for (let i = 0; i < Items.length; i += 25) {
        const chunk = Items.slice(i, i + 25).map((key) => ({ DeleteRequest: { Key: key } }));
        await dynamo.send(
          new BatchWriteCommand({ RequestItems: { [resources.tableName]: chunk } }),
        );
      }
    }
  };

  const newUser = () => {
    const user = randomUUID();
    sandbox.addUser(user);

    return user;
  };

  return {
    moto,
    sandbox,
    resources,
    apiOwner,
    growerSecretIds,
    provisionEnv: (leafUrl = sandbox.url) => ({
      [envNames.leafApiBaseUrl]: leafUrl,
      [envNames.leafApiOwnerSecretId]: resources.apiOwnerSecretId,
      [envNames.statusTableName]: resources.tableName,
      [envNames.sourceQueueUrl]: resources.provisioningQueueUrl,
      [envNames.deadLetterQueueUrl]: resources.provisioningDlqUrl,
      [envNames.growerSecretPrefix]: resources.growerSecretPrefix,
      [envNames.outcomeEventBusName]: outcomeBus.eventBusName,
    }),
    newUser,
    provisionBatch: (size, users) => ({
      Records: Array.from({ length: size }, (_, i) =>
        sqsRecord({
          leafUserId: users?.[i] ?? newUser(),
          secretId: growerSecretIds[i % growerSecretIds.length],
          provider: 'cnhi',
        }),
      ),
    }),
    clearStatusTable,
    close: async () => {
      dynamo.destroy();
      await sandbox.close();
      await destroyLocalResources(resources).catch(() => undefined);
      await destroyOutcomeBus(outcomeBus).catch(() => undefined);
      await moto.stop();
    },
  };
};
