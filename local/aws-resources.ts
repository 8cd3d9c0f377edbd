import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException as TableNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  QueueDoesNotExist,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { statusTableSchema } from '../functions/shared/status-table-schema';

// SQS's own default retention for the source queues; the dead-letter queues keep messages for the
// 14-day maximum, so a message that reaches one late in its life is not dropped before anyone
// looks at it.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
const sourceRetentionSeconds = 4 * 24 * 3600;
const deadLetterRetentionSeconds = 14 * 24 * 3600;

/** What to create in the emulator (or whichever AWS endpoint the SDK resolves). */
export interface LocalResourcesOptions {
  /** Prefix of every resource name; make it unique per test so tests can share one emulator. */
  readonly namePrefix: string;
  /**
   * Visibility timeout of the two source queues.
   * @default 30
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Receives of one message before SQS moves it to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /** Leaf's API-owner credentials, stored as the secret's JSON. */
  readonly apiOwner: { readonly username: string; readonly password: string };
  /**
   * Name of the API-owner secret.
   * @default `${namePrefix}/leaf/api-owner`
   */
  readonly apiOwnerSecretName?: string;
}

/** The names, URLs and ARNs of what {@link createLocalResources} made. */
export interface LocalResources {
  readonly provisioningQueueUrl: string;
  readonly provisioningQueueArn: string;
  readonly provisioningDlqUrl: string;
  readonly provisioningDlqArn: string;
  readonly deprovisioningQueueUrl: string;
  readonly deprovisioningQueueArn: string;
  readonly deprovisioningDlqUrl: string;
  readonly deprovisioningDlqArn: string;
  readonly tableName: string;
  /** ARN of the API-owner secret. */
  readonly apiOwnerSecretId: string;
  /** Grower secrets belong under this name prefix, e.g. `test-1a2b/cnhi/`. */
  readonly growerSecretPrefix: string;
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
}

const queueArn = async (sqs: SQSClient, queueUrl: string) => {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${queueUrl} has no QueueArn attribute`);

  return arn;
};

const createQueueWithDlq = async (
  sqs: SQSClient,
  name: string,
  visibilityTimeoutSeconds: number,
  maxReceiveCount: number,
) => {
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}-dlq`,
      Attributes: {
        MessageRetentionPeriod: String(deadLetterRetentionSeconds),
        SqsManagedSseEnabled: 'true',
      },
    }),
  );
  const dlqUrl = dlq.QueueUrl ?? '';
  const dlqArn = await queueArn(sqs, dlqUrl);
  const source = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(sourceRetentionSeconds),
        SqsManagedSseEnabled: 'true',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
      },
    }),
  );
  const url = source.QueueUrl ?? '';

  return { url, arn: await queueArn(sqs, url), dlqUrl, dlqArn };
};

const createStatusTable = async (dynamodb: DynamoDBClient, tableName: string) => {
  const { partitionKey, sortKey, credentialIdIndex } = statusTableSchema;
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: partitionKey, AttributeType: 'S' },
          { AttributeName: sortKey, AttributeType: 'S' },
          { AttributeName: credentialIdIndex.partitionKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: credentialIdIndex.name,
            KeySchema: [{ AttributeName: credentialIdIndex.partitionKey, KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  } catch (error) {
    // Creating twice with one prefix (a re-run against a long-lived emulator) reuses the table.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: tableName });
};

const putSecret = async (
  secrets: SecretsManagerClient,
  name: string,
  value: { SecretString: string } | { SecretBinary: Uint8Array },
) => {
  try {
    const created = await secrets.send(new CreateSecretCommand({ Name: name, ...value }));

    return created.ARN ?? name;
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    const updated = await secrets.send(new PutSecretValueCommand({ SecretId: name, ...value }));

    return updated.ARN ?? name;
  }
};

const withClients = async <T>(
  work: (clients: {
    sqs: SQSClient;
    dynamodb: DynamoDBClient;
    secrets: SecretsManagerClient;
  }) => Promise<T>,
) => {
  // Default resolution: AWS_ENDPOINT_URL, AWS_REGION and the credential chain decide where to go.
  const clients = {
    sqs: new SQSClient({}),
    dynamodb: new DynamoDBClient({}),
    secrets: new SecretsManagerClient({}),
  };
  try {
    return await work(clients);
  } finally {
    // Idle keep-alive sockets would otherwise hold a jest worker open after its tests.
    for (const client of Object.values(clients)) client.destroy();
  }
};

/**
 * Creates the queues with their dead-letter queues, the status table and the API-owner secret, as
 * the stack does, wherever the AWS SDK is configured to go (moto, locally).
 */
export const createLocalResources = (options: LocalResourcesOptions): Promise<LocalResources> =>
  withClients(async ({ sqs, dynamodb, secrets }) => {
    const { namePrefix, apiOwner } = options;
    const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
    const maxReceiveCount = options.maxReceiveCount ?? 5;
    // SQS's limits, checked here so a bad option names itself instead of failing inside CreateQueue.
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new RangeError(`maxReceiveCount must be from 1 to 1000 (given ${maxReceiveCount})`);
    }
    if (
      !Number.isInteger(visibilityTimeoutSeconds) ||
      visibilityTimeoutSeconds < 0 ||
      visibilityTimeoutSeconds > 43_200
    ) {
      throw new RangeError(
        `visibilityTimeoutSeconds must be from 0 to 43200 (given ${visibilityTimeoutSeconds})`,
      );
    }
    const tableName = `${namePrefix}-status`;

    const [provisioning, deprovisioning, apiOwnerSecretId] = await Promise.all([
      createQueueWithDlq(
        sqs,
        `${namePrefix}-provisioning`,
        visibilityTimeoutSeconds,
        maxReceiveCount,
      ),
      createQueueWithDlq(
        sqs,
        `${namePrefix}-deprovisioning`,
        visibilityTimeoutSeconds,
        maxReceiveCount,
      ),
      putSecret(secrets, options.apiOwnerSecretName ?? `${namePrefix}/leaf/api-owner`, {
        SecretString: JSON.stringify({ username: apiOwner.username, password: apiOwner.password }),
      }),
      createStatusTable(dynamodb, tableName),
    ]);

    return {
      provisioningQueueUrl: provisioning.url,
      provisioningQueueArn: provisioning.arn,
      provisioningDlqUrl: provisioning.dlqUrl,
      provisioningDlqArn: provisioning.dlqArn,
      deprovisioningQueueUrl: deprovisioning.url,
      deprovisioningQueueArn: deprovisioning.arn,
      deprovisioningDlqUrl: deprovisioning.dlqUrl,
      deprovisioningDlqArn: deprovisioning.dlqArn,
      tableName,
      apiOwnerSecretId,
      growerSecretPrefix: `${namePrefix}/cnhi/`,
      maxReceiveCount,
      visibilityTimeoutSeconds,
    };
  });

/**
 * Creates or overwrites a grower's secret: an object is stored as JSON, a string as is, and bytes
 * as SecretBinary (which the functions must reject). Resolves to the secret's ARN.
 */
export const putGrowerSecret = (
  name: string,
  value: object | string | Uint8Array,
): Promise<string> =>
  withClients(({ secrets }) => {
    if (value instanceof Uint8Array) return putSecret(secrets, name, { SecretBinary: value });
    const secretString = typeof value === 'string' ? value : JSON.stringify(value);

    return putSecret(secrets, name, { SecretString: secretString });
  });

/** Deletes what {@link createLocalResources} made, plus every secret under the grower prefix. */
export const destroyLocalResources = (resources: LocalResources): Promise<void> =>
  withClients(async ({ sqs, dynamodb, secrets }) => {
    const ignoreMissing = (error: unknown) => {
      if (error instanceof QueueDoesNotExist || error instanceof TableNotFoundException) return;
      throw error;
    };
    const queueUrls = [
      resources.provisioningQueueUrl,
      resources.provisioningDlqUrl,
      resources.deprovisioningQueueUrl,
      resources.deprovisioningDlqUrl,
    ];
    const { SecretList = [] } = await secrets.send(
      new ListSecretsCommand({
        Filters: [{ Key: 'name', Values: [resources.growerSecretPrefix] }],
      }),
    );
    const secretIds = [resources.apiOwnerSecretId, ...SecretList.map((secret) => secret.ARN ?? '')];

    await Promise.all([
      ...queueUrls.map((url) =>
        sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(ignoreMissing),
      ),
      dynamodb
        .send(new DeleteTableCommand({ TableName: resources.tableName }))
        .catch(ignoreMissing),
      ...secretIds
        .filter((id) => id !== '')
        .map((id) =>
          secrets.send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true })),
        ),
    ]);
  });

/** The outcome bus of a local run, and a queue that receives every event on it. */
export interface LocalOutcomeBus {
  readonly eventBusName: string;
  readonly eventBusArn: string;
  /**
   * Stands in for an onboarding pipeline: a rule on the bus sends it every outcome event. Empty
   * when the bus was made without an observer, as `ruleName` is.
   */
  readonly observerQueueUrl: string;
  readonly ruleName: string;
}

export interface OutcomeBusOptions {
  /**
   * Whether a rule forwards every event to an observer queue. moto delivers to the target inside
   * the PutEvents call, where EventBridge delivers after answering; a run that times PutEvents
   * leaves the observer out so as not to charge the target's delivery to the publisher.
   * @default true
   */
  readonly observe?: boolean;
}

/**
 * Creates the outcome event bus, as the stack does, and a rule that copies every event the product
 * publishes on it to an SQS queue, so a local run and its tests can read the events. moto delivers
 * to an SQS target as EventBridge does; it needs no queue policy for that.
 */
export const createOutcomeBus = async (
  namePrefix: string,
  options: OutcomeBusOptions = {},
): Promise<LocalOutcomeBus> => {
  const events = new EventBridgeClient({});
  const sqs = new SQSClient({});
  try {
    const eventBusName = `${namePrefix}-outcomes`;
    if (options.observe === false) {
      const bus = await events.send(new CreateEventBusCommand({ Name: eventBusName }));

      return {
        eventBusName,
        eventBusArn: bus.EventBusArn ?? '',
        observerQueueUrl: '',
        ruleName: '',
      };
    }
    const ruleName = `${namePrefix}-outcomes-observer`;
    const [bus, observer] = await Promise.all([
      events.send(new CreateEventBusCommand({ Name: eventBusName })),
      sqs.send(new CreateQueueCommand({ QueueName: `${namePrefix}-outcome-events` })),
    ]);
    const observerQueueUrl = observer.QueueUrl ?? '';
    await events.send(
      new PutRuleCommand({
        Name: ruleName,
        EventBusName: eventBusName,
        EventPattern: JSON.stringify({ source: ['leaf-cnhi-provisioner'] }),
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: ruleName,
        EventBusName: eventBusName,
        Targets: [{ Id: 'observer', Arn: await queueArn(sqs, observerQueueUrl) }],
      }),
    );

    return { eventBusName, eventBusArn: bus.EventBusArn ?? '', observerQueueUrl, ruleName };
  } finally {
    events.destroy();
    sqs.destroy();
  }
};

/** Deletes what {@link createOutcomeBus} made. */
export const destroyOutcomeBus = async (bus: LocalOutcomeBus): Promise<void> => {
  const events = new EventBridgeClient({});
  const sqs = new SQSClient({});
  try {
    const { eventBusName: EventBusName, ruleName: Rule, observerQueueUrl: QueueUrl } = bus;
    if (Rule) {
      await events.send(new RemoveTargetsCommand({ Rule, EventBusName, Ids: ['observer'] }));
      await events.send(new DeleteRuleCommand({ Name: Rule, EventBusName }));
    }
    await Promise.all([
      events.send(new DeleteEventBusCommand({ Name: EventBusName })),
      QueueUrl ? sqs.send(new DeleteQueueCommand({ QueueUrl })) : undefined,
    ]);
  } finally {
    events.destroy();
    sqs.destroy();
  }
};
