import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { globalOptionsHelp, integerIn, noMorePositionals, oneOf, parseCommandArgs } from '../args';
import { type Command, withProduct } from '../command';
import { moveByCopy } from '../copy-move';
import { visibleCount } from '../dead-letters';
import { exitCodes } from '../errors';
import { type MoveMethod, type MoveResult, moveMethods } from '../message-move';
import { findRunningTask, moveWithTask } from '../move-task';
import { writeJson, writeLine } from '../output';
import { startProgress } from '../progress';
import { type QueueName, queueNames, queuePairs } from '../queues';

const help = `Usage: leaf-cnhi dlq redrive [--queue provisioning|deprovisioning] [--rate N]
                         [--method task|copy] [--json]

Moves the messages of each dead-letter queue back to its request queue, and follows the move to
the end. Fix the cause first (see the README's Runbook): a request that fails again returns to the
dead-letter queue. Redriving is safe: a request overtaken by a newer one is skipped as stale,
and one whose work is done already changes nothing at Leaf.

Options:
  --queue Q          ${queueNames.join(' or ')} (default both)
  --rate N           messages per second at most, 1-500 (default: as fast as SQS allows)
  --method M         task: SQS's message move task (StartMessageMoveTask), which goes on in AWS
                     if this command is interrupted; run the command again to follow it.
                     copy: receive, send and delete from this process.
                     Default: task on AWS, copy against an emulator (moto has no move tasks).

${globalOptionsHelp}

Exit status: 0 every move completed (or there was nothing to move); 1 a move failed or was
cancelled; 2 wrong arguments or missing configuration.`;

const options = {
  queue: { type: 'string' },
  rate: { type: 'string' },
  method: { type: 'string' },
} as const;

interface QueueOutcome extends Partial<Omit<MoveResult, 'status'>> {
  readonly queue: QueueName;
  readonly status: MoveResult['status'] | 'EMPTY';
}

const arnOf = async (sqs: SQSClient, queueUrl: string) => {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );

  return Attributes?.QueueArn ?? '';
};

const run: Command['run'] = async (args, io) => {
  const { values, positionals, globals } = parseCommandArgs('dlq redrive', args, options);
  noMorePositionals('dlq redrive', positionals);
  const queue = values.queue === undefined ? undefined : oneOf('--queue', values.queue, queueNames);
  const maxPerSecond =
    values.rate === undefined ? undefined : integerIn('--rate', values.rate, 1, 500);
  const chosen =
    values.method === undefined ? undefined : oneOf('--method', values.method, moveMethods);

  const outcomes = await withProduct(globals, io, async ({ config, clients }) => {
    const sqs = clients.sqs();
    const method: MoveMethod = chosen ?? (config.endpoint ? 'copy' : 'task');
    const done: QueueOutcome[] = [];
    for (const pair of queuePairs(config, queue)) {
      const sourceArn = await arnOf(sqs, pair.deadLetterUrl);
      const waiting = await visibleCount(sqs, pair.deadLetterUrl);
      // A task interrupted earlier may hold every message in flight, leaving none visible.
      const running = method === 'task' ? await findRunningTask(sqs, sourceArn) : undefined;
      if (waiting === 0 && !running) {
        done.push({ queue: pair.name, status: 'EMPTY', moved: 0, toMove: 0 });
        continue;
      }
      if (running) {
        writeLine(io.stderr, `${pair.name}: a message move task is running already; following it`);
      }
      const progress = startProgress(io.stderr, `redriving ${pair.name}`, waiting);
      const request = {
        sourceUrl: pair.deadLetterUrl,
        sourceArn,
        destinationUrl: pair.sourceUrl,
        destinationArn: await arnOf(sqs, pair.sourceUrl),
        maxPerSecond,
        onProgress: ({ moved, toMove }: { moved: number; toMove: number }) =>
          progress.update(moved, toMove),
      };
      try {
        const result =
          method === 'task' ? await moveWithTask(sqs, request) : await moveByCopy(sqs, request);
        done.push({ queue: pair.name, ...result });
      } finally {
        progress.finish();
      }
    }

    return done;
  });

  if (globals.json) {
    writeJson(io.stdout, { queues: outcomes });
  } else {
    for (const outcome of outcomes) {
      if (outcome.status === 'EMPTY') {
        writeLine(io.stdout, `${outcome.queue}: nothing to redrive`);
        continue;
      }
      const how = outcome.method === 'task' ? 'message move task' : 'copied by this command';
      const why = outcome.failureReason ? `: ${outcome.failureReason}` : '';
      writeLine(
        io.stdout,
        `${outcome.queue}: ${outcome.status}, moved ${outcome.moved} of ${outcome.toMove} ` +
          `message(s) back to the ${outcome.queue} queue (${how})${why}`,
      );
    }
    if (outcomes.some((outcome) => (outcome.moved ?? 0) > 0)) {
      writeLine(
        io.stderr,
        'follow the outcome with: leaf-cnhi status --state FAILED, leaf-cnhi dlq list',
      );
    }
  }

  const allDone = outcomes.every((o) => o.status === 'COMPLETED' || o.status === 'EMPTY');

  return allDone ? exitCodes.ok : exitCodes.failure;
};

/** `leaf-cnhi dlq redrive`: moves dead-lettered requests back to their queue. */
export const dlqRedriveCommand: Command = {
  name: 'dlq redrive',
  summary: 'move dead-lettered requests back to their queue and follow the move',
  help,
  run,
};
