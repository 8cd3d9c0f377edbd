import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

/** The dead-lettered messages of a queue as table rows: the reason, never the body. */
export const peekQueueForDemo = async (queueUrl: string, queue: string) => {
  const sqs = new SQSClient({});
  const rows: Record<string, string>[] = [];
  for (;;) {
    const page = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
        MessageAttributeNames: ['All'],
      }),
    );
    if (!page.Messages?.length) {
      break;
    }
    for (const message of page.Messages) {
      const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue ?? '';
      rows.push({
        queue,
        reasonCode: attribute('reasonCode'),
        reason: attribute('reasonMessage'),
        attempts: attribute('receiveCount'),
      });
    }
  }
  sqs.destroy();

  return rows;
};
