import { setTimeout as sleep } from 'node:timers/promises';
import {
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { OperationError } from './errors';
import type { MoveRequest, MoveResult } from './message-move';

/** Options of {@link moveWithTask}. */
export interface MoveTaskOptions {
  /** @default 2_000 */
  readonly pollMs?: number;
  /** Polls to wait for a task that started but is not listed yet. @default 15 */
  readonly maxUnlistedPolls?: number;
}

// A started task may take a moment to be listed, and a task that has ended is listed without its
// handle; the start time tells it from an earlier task of the same queue.
const findTask = (
  tasks: readonly ListMessageMoveTasksResultEntry[],
  handle: string | undefined,
  startedAfter: number,
) =>
  tasks.find((task) => handle !== undefined && task.TaskHandle === handle) ??
  tasks.find((task) => task.Status !== 'RUNNING' && (task.StartedTimestamp ?? 0) >= startedAfter);

const listTasks = async (sqs: SQSClient, sourceArn: string) =>
  (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 })))
    .Results ?? [];

/** The move task running on a queue, if one is: an earlier run may have left it going. */
export const findRunningTask = async (
  sqs: SQSClient,
  sourceArn: string,
): Promise<ListMessageMoveTasksResultEntry | undefined> =>
  (await listTasks(sqs, sourceArn)).find((task) => task.Status === 'RUNNING');

/**
 * Moves a dead-letter queue's messages back with SQS's message move task and follows it to the
 * end. Only one task may run per source queue; one that is already running (an earlier run the
 * operator interrupted) is followed instead of refused.
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html
 */
export const moveWithTask = async (
  sqs: SQSClient,
  request: MoveRequest,
  options: MoveTaskOptions = {},
): Promise<MoveResult & { readonly attached: boolean }> => {
  const pollMs = options.pollMs ?? 2_000;
  const maxUnlistedPolls = options.maxUnlistedPolls ?? 15;
  const list = () => listTasks(sqs, request.sourceArn);

  const running = await findRunningTask(sqs, request.sourceArn);
  // Allows for the client's clock running ahead of AWS's.
  let startedAfter = Date.now() - 60_000;
  let handle = running?.TaskHandle;
  if (running) {
    startedAfter = running.StartedTimestamp ?? startedAfter;
  } else {
    const started = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: request.sourceArn,
        // Named although SQS defaults to the source: the functions send permanent failures to
        // the dead-letter queue themselves, so SQS did not move those and may not know a source.
        DestinationArn: request.destinationArn,
        MaxNumberOfMessagesPerSecond: request.maxPerSecond,
      }),
    );
    handle = started.TaskHandle;
  }

  for (let unlisted = 0; ; ) {
    const task = findTask(await list(), handle, startedAfter);
    if (!task) {
      unlisted += 1;
      if (unlisted > maxUnlistedPolls) {
        throw new OperationError(`the message move task of ${request.sourceArn} is not listed`);
      }
    } else {
      const progress = {
        moved: task.ApproximateNumberOfMessagesMoved ?? 0,
        toMove: task.ApproximateNumberOfMessagesToMove ?? 0,
      };
      request.onProgress(progress);
      if (task.Status === 'COMPLETED' || task.Status === 'FAILED' || task.Status === 'CANCELLED') {
        return {
          ...progress,
          status: task.Status,
          failureReason: task.FailureReason,
          method: 'task',
          attached: running !== undefined,
        };
      }
    }
    await sleep(pollMs);
  }
};
