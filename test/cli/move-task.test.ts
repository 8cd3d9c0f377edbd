import {
  ListMessageMoveTasksCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { MoveProgress } from '../../cli/message-move';
import { moveWithTask } from '../../cli/move-task';

const dlqArn = 'arn:aws:sqs:eu-west-1:123456789012:provisioning-dlq';
const queueArn = 'arn:aws:sqs:eu-west-1:123456789012:provisioning';

/**
 * moto implements no message move tasks, so the follower is tested against SQS's documented
 * answers: a running task is listed with its handle, an ended one without.
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListMessageMoveTasks.html
 */
describe('moveWithTask', () => {
  const sqs = mockClient(SQSClient);
  let progress: MoveProgress[];

  const request = () => ({
    sourceUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/provisioning-dlq',
    sourceArn: dlqArn,
    destinationUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/provisioning',
    destinationArn: queueArn,
    maxPerSecond: 50,
    onProgress: (step: MoveProgress) => progress.push(step),
  });

  beforeEach(() => {
    sqs.reset();
    progress = [];
  });

  afterAll(() => {
    sqs.restore();
  });

  it('starts a task to the source queue and follows it until it completes', async () => {
    // GIVEN
    const startedAt = Date.now();
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [] })
      .resolvesOnce({ Results: [] })
      .resolvesOnce({
        Results: [
          {
            TaskHandle: 'task-1',
            Status: 'RUNNING',
            ApproximateNumberOfMessagesMoved: 1,
            ApproximateNumberOfMessagesToMove: 3,
            StartedTimestamp: startedAt,
          },
        ],
      })
      .resolves({
        Results: [
          {
            Status: 'COMPLETED',
            ApproximateNumberOfMessagesMoved: 3,
            ApproximateNumberOfMessagesToMove: 3,
            StartedTimestamp: startedAt,
          },
        ],
      });

    // WHEN
    const result = await moveWithTask(sqs as unknown as SQSClient, request(), { pollMs: 0 });

    // THEN
    expect(result).toMatchObject({ status: 'COMPLETED', moved: 3, toMove: 3, attached: false });
    expect(sqs).toHaveReceivedCommandWith(StartMessageMoveTaskCommand, {
      SourceArn: dlqArn,
      DestinationArn: queueArn,
      MaxNumberOfMessagesPerSecond: 50,
    });
    expect(progress).toEqual([
      { moved: 1, toMove: 3 },
      { moved: 3, toMove: 3 },
    ]);
  });

  it('follows a task that is running already instead of starting another', async () => {
    // GIVEN
    const running = {
      TaskHandle: 'task-earlier',
      Status: 'RUNNING',
      ApproximateNumberOfMessagesMoved: 5,
      ApproximateNumberOfMessagesToMove: 8,
      StartedTimestamp: Date.now() - 3_600_000,
    };
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [running] })
      .resolvesOnce({ Results: [running] })
      .resolves({
        Results: [
          {
            ...running,
            TaskHandle: undefined,
            Status: 'COMPLETED',
            ApproximateNumberOfMessagesMoved: 8,
          },
        ],
      });

    // WHEN
    const result = await moveWithTask(sqs as unknown as SQSClient, request(), { pollMs: 0 });

    // THEN
    expect(result).toMatchObject({ status: 'COMPLETED', moved: 8, attached: true });
    expect(sqs).not.toHaveReceivedCommand(StartMessageMoveTaskCommand);
  });

  it('does not take an earlier, finished task for the one it started', async () => {
    // GIVEN
    const earlier = {
      Status: 'COMPLETED',
      ApproximateNumberOfMessagesMoved: 40,
      ApproximateNumberOfMessagesToMove: 40,
      StartedTimestamp: Date.now() - 86_400_000,
    };
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-2' });
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [earlier] })
      .resolvesOnce({ Results: [earlier] })
      .resolves({
        Results: [
          {
            Status: 'FAILED',
            FailureReason: 'AWS.SimpleQueueService.NonExistentQueue',
            ApproximateNumberOfMessagesMoved: 0,
            ApproximateNumberOfMessagesToMove: 2,
            StartedTimestamp: Date.now(),
          },
          earlier,
        ],
      });

    // WHEN
    const result = await moveWithTask(sqs as unknown as SQSClient, request(), { pollMs: 0 });

    // THEN
    expect(result).toMatchObject({
      status: 'FAILED',
      failureReason: 'AWS.SimpleQueueService.NonExistentQueue',
      moved: 0,
      toMove: 2,
    });
  });
});
