import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ProductConfig } from './product-config';
import type { AwsSettings } from './stack-config';

/** The SDK clients a command may need, made on first use and destroyed together. */
export interface CliClients {
  readonly sqs: () => SQSClient;
  readonly dynamo: () => DynamoDBDocumentClient;
  readonly secrets: () => SecretsManagerClient;
  readonly lambda: () => LambdaClient;
  /** Closes the clients' sockets, which would otherwise hold the process open. */
  destroy(): void;
}

const memo = <T extends { destroy(): void }>(make: () => T, made: { destroy(): void }[]) => {
  let client: T | undefined;

  return () => {
    if (!client) {
      client = make();
      made.push(client);
    }

    return client;
  };
};

/**
 * Clients that go where the configuration says. The operator's own credentials, profile and
 * region apply through the SDK's standard resolution; a local environment needs none of them,
 * since the emulator accepts any credentials and lives in the region it was started in.
 */
export const createClients = (config: ProductConfig, settings: AwsSettings): CliClients => {
  const local = config.mode === 'local';
  const clientConfig = {
    region: local ? (config.region ?? settings.region) : (settings.region ?? config.region),
    profile: local ? undefined : settings.profile,
    endpoint: config.endpoint,
    credentials: local ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
  };
  const made: { destroy(): void }[] = [];

  return {
    sqs: memo(() => new SQSClient(clientConfig), made),
    dynamo: memo(() => {
      const base = new DynamoDBClient(clientConfig);
      // The document client leaves its base client open when destroyed; the base is closed here.
      made.push(base);

      return DynamoDBDocumentClient.from(base, {
        marshallOptions: { removeUndefinedValues: true },
      });
    }, made),
    secrets: memo(() => new SecretsManagerClient(clientConfig), made),
    lambda: memo(() => new LambdaClient(clientConfig), made),
    destroy: () => {
      for (const client of made.splice(0)) {
        client.destroy();
      }
    },
  };
};
