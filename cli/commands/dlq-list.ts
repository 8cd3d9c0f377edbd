import { globalOptionsHelp, integerIn, noMorePositionals, oneOf, parseCommandArgs } from '../args';
import { type Command, withProduct } from '../command';
import { type DeadLetterQueueView, peekDeadLetters } from '../dead-letters';
import { exitCodes } from '../errors';
import type { OutputStream } from '../io';
import { cell, shortTime, writeJson, writeLine, writeTable } from '../output';
import { queueNames, queuePairs } from '../queues';

const help = `Usage: leaf-cnhi dlq list [--queue provisioning|deprovisioning] [--max N] [--json]

Shows what waits in each dead-letter queue and why: the reason code and message the function
recorded, the attempts, and the Leaf user, provider and secret name of the request. No other part
of a message body is shown. Messages are only looked at: each is visible again right after.

Options:
  --queue Q          ${queueNames.join(' or ')} (default both)
  --max N            messages to show per queue, 1-1000 (default 100)

${globalOptionsHelp}

Exit status: 0 the dead-letter queues are empty; 1 they hold messages (in flight included); 2 wrong arguments or
missing configuration.`;

const options = {
  queue: { type: 'string' },
  max: { type: 'string' },
} as const;

const writeView = (out: OutputStream, view: DeadLetterQueueView) => {
  const more =
    view.approximateCount > view.letters.length ? ` (about ${view.approximateCount} in all)` : '';
  const inFlight =
    view.inFlightCount > 0
      ? `, ${view.inFlightCount} more in flight (received elsewhere, e.g. a redrive; look again shortly)`
      : '';
  writeLine(
    out,
    `${view.queue} dead-letter queue: ${view.letters.length} message(s)${more}${inFlight}`,
  );
  if (view.letters.length === 0) {
    return;
  }
  writeTable(
    out,
    view.letters.map((letter) => ({
      failed: shortTime(letter.failedAt),
      leafUserId: cell(letter.leafUserId),
      provider: cell(letter.provider),
      reason: cell(letter.reasonCode),
      attempts: cell(letter.receiveCount),
      secretId: letter.bodyWithheld
        ? `(body withheld: ${letter.bodyWithheld})`
        : cell(letter.secretId),
      message: cell(letter.originalMessageId),
    })),
    '',
  );
  // One message per code, with a count, keeps the summary short; when the messages of a code
  // differ, it says so rather than pass the first off as every one's.
  const reasons = new Map<string, { count: number; message: string; varies: boolean }>();
  for (const letter of view.letters) {
    const code = letter.reasonCode ?? '(no reason code)';
    const message = letter.reasonMessage ?? '';
    const seen = reasons.get(code);
    reasons.set(code, {
      count: (seen?.count ?? 0) + 1,
      message: seen?.message ?? message,
      varies: (seen?.varies ?? false) || (seen !== undefined && seen.message !== message),
    });
  }
  writeLine(out);
  for (const [code, { count, message, varies }] of reasons) {
    writeLine(out, `  ${code} ×${count}: ${message}${varies ? ' (and other messages)' : ''}`);
  }
};

const run: Command['run'] = async (args, io) => {
  const { values, positionals, globals } = parseCommandArgs('dlq list', args, options);
  noMorePositionals('dlq list', positionals);
  const queue = values.queue === undefined ? undefined : oneOf('--queue', values.queue, queueNames);
  const max = values.max === undefined ? 100 : integerIn('--max', values.max, 1, 1000);

  const views = await withProduct(globals, io, async ({ config, clients }) => {
    const found: DeadLetterQueueView[] = [];
    for (const pair of queuePairs(config, queue)) {
      found.push(await peekDeadLetters(clients.sqs(), pair, max));
    }

    return found;
  });

  if (globals.json) {
    writeJson(io.stdout, {
      queues: views.map(({ letters, ...view }) => ({ ...view, messages: letters })),
    });
  } else {
    views.forEach((view, i) => {
      if (i > 0) writeLine(io.stdout);
      writeView(io.stdout, view);
    });
  }

  const waiting = views.some(
    (view) => view.letters.length > 0 || view.approximateCount > 0 || view.inFlightCount > 0,
  );
  if (waiting && !globals.json) {
    writeLine(
      io.stderr,
      'fix the cause (README, Runbook: Dead-letter queue not empty), then: leaf-cnhi dlq redrive',
    );
  }

  return waiting ? exitCodes.failure : exitCodes.ok;
};

/** `leaf-cnhi dlq list`: what waits in the dead-letter queues, and why. */
export const dlqListCommand: Command = {
  name: 'dlq list',
  summary: 'show what waits in the dead-letter queues, and why',
  help,
  run,
};
