import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** Every item of a table, unmarshalled: what an attacker with read access would see. */
export const scanTable = async (tableName: string): Promise<Record<string, unknown>[]> => {
  const client = new DynamoDBClient({});
  const items: Record<string, unknown>[] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  client.destroy();

  return items;
};

/** A queued message as seen by someone reading the queue. */
export interface PeekedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Record<string, string | undefined>;
}

/**
 * Reads every message currently visible on a queue without deleting it (each stays in flight for
 * `hideSeconds`, so a second call in that time sees none of them again).
 */
export const peekQueue = async (queueUrl: string, hideSeconds = 2): Promise<PeekedMessage[]> => {
  const client = new SQSClient({});
  const seen: PeekedMessage[] = [];
  for (;;) {
    const page = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: hideSeconds,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 0,
      }),
    );
    if (!page.Messages?.length) {
      break;
    }
    for (const message of page.Messages) {
      seen.push({
        messageId: message.MessageId ?? '',
        body: message.Body ?? '',
        attributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([key, value]) => [
            key,
            value.StringValue,
          ]),
        ),
      });
    }
  }
  client.destroy();

  return seen;
};
