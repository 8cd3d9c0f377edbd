import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * SDK clients, built once per execution environment so their connections are reused across
 * invocations. Endpoint, region and credentials come from the SDK's standard settings
 * (`AWS_ENDPOINT_URL`, `AWS_REGION`, …), which is how the same code runs against an emulator.
 */
export interface AwsClients {
  readonly sqs: SQSClient;
  readonly secrets: SecretsManagerClient;
  readonly dynamo: DynamoDBDocumentClient;
}

let shared: AwsClients | undefined;

export const awsClients = (): AwsClients => {
  shared ??= {
    sqs: new SQSClient({}),
    secrets: new SecretsManagerClient({}),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  };

  return shared;
};
