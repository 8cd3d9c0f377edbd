import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { statusTableSchema } from '../../functions/shared/status-table-schema';
import {
  createLocalResources,
  destroyLocalResources,
  type LocalResources,
  putGrowerSecret,
} from '../../local/aws-resources';
import { uniquePrefix } from '../helpers/aws-env';

const apiOwner = { username: 'owner@example.com', password: 'not-a-secret' };

describe('createLocalResources', () => {
  const sqs = new SQSClient({});
  const dynamodb = new DynamoDBClient({});
  const secrets = new SecretsManagerClient({});
  let resources: LocalResources;

  beforeAll(async () => {
    resources = await createLocalResources({
      namePrefix: uniquePrefix('resources'),
      visibilityTimeoutSeconds: 1,
      maxReceiveCount: 2,
      apiOwner,
    });
  });

  afterAll(async () => {
    await destroyLocalResources(resources);
    for (const client of [sqs, dynamodb, secrets]) client.destroy();
  });

  it('moves a message to the dead-letter queue when it was received maxReceiveCount times', async () => {
    // GIVEN
    const queueUrl = resources.provisioningQueueUrl;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'doomed' }));
    const receive = () =>
      sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));

    // WHEN each receive lets the 1 s visibility timeout lapse, as a failing consumer would
    const first = await receive();
    await sleep(1_100);
    const second = await receive();
    await sleep(1_100);
    const third = await receive();

    // THEN
    expect(first.Messages).toHaveLength(1);
    expect(second.Messages).toHaveLength(1);
    expect(third.Messages ?? []).toHaveLength(0);
    const deadLetters = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: resources.provisioningDlqUrl, WaitTimeSeconds: 1 }),
    );
    expect(deadLetters.Messages?.map((message) => message.Body)).toEqual(['doomed']);
  });

  it.each([
    ['provisioning', 'provisioningQueueUrl', 'provisioningDlqUrl', 'provisioningDlqArn'],
    ['deprovisioning', 'deprovisioningQueueUrl', 'deprovisioningDlqUrl', 'deprovisioningDlqArn'],
  ] as const)(
    'keeps dead letters longer than the %s queue keeps messages when created',
    async (_, queue, dlq, dlqArn) => {
      // GIVEN
      const attributesOf = async (url: string) =>
        (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })))
          .Attributes ?? {};

      // WHEN
      const source = await attributesOf(resources[queue]);
      const deadLetter = await attributesOf(resources[dlq]);

      // THEN
      expect(JSON.parse(source.RedrivePolicy ?? '{}')).toEqual({
        deadLetterTargetArn: resources[dlqArn],
        maxReceiveCount: 2,
      });
      expect(source.VisibilityTimeout).toBe('1');
      expect(Number(deadLetter.MessageRetentionPeriod)).toBeGreaterThan(
        Number(source.MessageRetentionPeriod),
      );
    },
  );

  it('creates the status table with the shared key layout and credential-id index', async () => {
    // GIVEN
    const { partitionKey, sortKey, credentialIdIndex } = statusTableSchema;

    // WHEN
    const { Table } = await dynamodb.send(
      new DescribeTableCommand({ TableName: resources.tableName }),
    );

    // THEN
    expect(Table?.KeySchema).toEqual([
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: credentialIdIndex.name,
        KeySchema: [{ AttributeName: credentialIdIndex.partitionKey, KeyType: 'HASH' }],
        Projection: { ProjectionType: 'ALL' },
      }),
    ]);
  });

  it('stores the API owner as a JSON secret when created', async () => {
    // GIVEN
    const secretId = resources.apiOwnerSecretId;

    // WHEN
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));

    // THEN
    expect(JSON.parse(SecretString ?? '')).toEqual(apiOwner);
  });
});

describe('createLocalResources validation', () => {
  it('rejects when maxReceiveCount is outside what SQS allows', async () => {
    // GIVEN
    const options = { namePrefix: uniquePrefix('invalid'), apiOwner, maxReceiveCount: 0 };

    // WHEN
    const created = createLocalResources(options);

    // THEN
    await expect(created).rejects.toThrow(/maxReceiveCount must be from 1 to 1000 \(given 0\)/);
  });
});

describe('putGrowerSecret', () => {
  const secrets = new SecretsManagerClient({});
  const prefix = `${uniquePrefix('grower')}/cnhi/`;
  const readSecret = (id: string) => secrets.send(new GetSecretValueCommand({ SecretId: id }));

  afterAll(() => secrets.destroy());

  it('stores an object as JSON and overwrites it when put again', async () => {
    // GIVEN
    await putGrowerSecret(`${prefix}first`, { clientId: 'a' });

    // WHEN
    const arn = await putGrowerSecret(`${prefix}first`, { clientId: 'b' });

    // THEN
    expect(arn).toMatch(/^arn:aws:secretsmanager:/);
    expect(JSON.parse((await readSecret(arn)).SecretString ?? '')).toEqual({ clientId: 'b' });
  });

  it('stores bytes as SecretBinary when given a Uint8Array', async () => {
    // GIVEN
    const bytes = new Uint8Array([0, 1, 2, 250]);

    // WHEN
    const arn = await putGrowerSecret(`${prefix}binary`, bytes);

    // THEN
    const stored = await readSecret(arn);
    expect(stored.SecretString).toBeUndefined();
    expect(Array.from(stored.SecretBinary ?? [])).toEqual([0, 1, 2, 250]);
  });
});

describe('destroyLocalResources', () => {
  it('deletes the queues when called', async () => {
    // GIVEN
    const namePrefix = uniquePrefix('destroy');
    const resources = await createLocalResources({ namePrefix, apiOwner });
    const sqs = new SQSClient({});

    // WHEN
    await destroyLocalResources(resources);

    // THEN
    const { QueueUrls = [] } = await sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: namePrefix }),
    );
    sqs.destroy();
    expect(QueueUrls).toEqual([]);
  });
});
