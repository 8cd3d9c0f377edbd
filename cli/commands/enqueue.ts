import { globalOptionsHelp, noMorePositionals, oneOf, parseCommandArgs } from '../args';
import { readBulkFile, reportRowProblems } from '../bulk-file';
import { type Command, withProduct } from '../command';
import { exitCodes, OperationError, UsageError } from '../errors';
import { writeJson, writeLine } from '../output';
import { startProgress } from '../progress';
import { type OperationName, operationNames, type RequestField } from '../request-check';
import type { RowProblem } from '../request-file';
import { type PlannedRequest, planRequests } from '../request-plan';
import { sendRequests } from '../send-requests';

const help = `Usage:
  leaf-cnhi enqueue provision --user ID --secret NAME [--provider P] [--requested-at ISO]
                              [--correlation-id X]
  leaf-cnhi enqueue deprovision --user ID [--provider P] [--requested-at ISO] [--correlation-id X]
  leaf-cnhi enqueue [provision|deprovision] --file growers.csv|growers.jsonl [--dry-run]

Sends provisioning or deprovisioning requests to their queue. Every request is checked first with
the rules the functions apply; with --file nothing is sent unless every row passes, and bad rows
are reported by line number. Requests go out in batches of 10.

Options:
  --user ID             the Leaf user's UUID
  --secret NAME         name or ARN of the grower secret (provision only; never the secret itself)
  --provider P          cnhi (default) or cnhi-fieldops
  --requested-at ISO    ISO 8601 with a zone; orders requests for one user and provider
                        (default: the time SQS receives the message)
  --correlation-id X    carried into the functions' logs and the status record
  --file PATH           .csv with a header row, or .jsonl with one JSON object a line; fields
                        leafUserId, secretId, provider, requestedAt, correlationId, and operation
                        (provision or deprovision) when the command names none
  --dry-run             check the requests, send nothing (needs no AWS access)

${globalOptionsHelp}

Exit status: 0 all sent (or all valid with --dry-run); 1 bad rows (nothing sent) or a send
failed; 2 wrong arguments or missing configuration.`;

const options = {
  user: { type: 'string' },
  secret: { type: 'string' },
  provider: { type: 'string' },
  'requested-at': { type: 'string' },
  'correlation-id': { type: 'string' },
  file: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

const flags: Readonly<Record<RequestField, string>> = {
  leafUserId: '--user',
  secretId: '--secret',
  provider: '--provider',
  requestedAt: '--requested-at',
  correlationId: '--correlation-id',
};

// The functions' messages name the contract's fields; a person typed flags.
const asFlagProblem = (problem: RowProblem): UsageError => {
  const field = (Object.keys(flags) as RequestField[]).find((name) =>
    problem.message.includes(name),
  );

  return new UsageError(
    field ? `${flags[field]}: ${problem.message}` : problem.message,
    'see leaf-cnhi enqueue --help',
  );
};

const singleRequest = (
  operation: OperationName | undefined,
  values: Record<string, string | boolean | undefined>,
): PlannedRequest => {
  if (!operation) {
    throw new UsageError('say provision or deprovision', 'see leaf-cnhi enqueue --help');
  }
  if (values.user === undefined) {
    throw new UsageError(
      'give --user, or --file for many requests',
      'see leaf-cnhi enqueue --help',
    );
  }
  if (operation === 'deprovision' && values.secret !== undefined) {
    throw new UsageError('--secret belongs to provision only: deprovision reads no secret');
  }
  const fields = Object.fromEntries(
    Object.entries({
      leafUserId: values.user,
      secretId: values.secret,
      provider: values.provider,
      requestedAt: values['requested-at'],
      correlationId: values['correlation-id'],
    }).filter(([, value]) => value !== undefined),
  );
  const { requests, problems } = planRequests([{ line: 0, fields }], operation);
  const [problem] = problems;
  if (problem) {
    throw asFlagProblem(problem);
  }

  return requests[0] as PlannedRequest;
};

const run: Command['run'] = async (args, io) => {
  const { values, positionals, globals } = parseCommandArgs('enqueue', args, options);
  const [operationArg, ...rest] = positionals;
  noMorePositionals('enqueue', rest);
  const operation =
    operationArg === undefined ? undefined : oneOf('operation', operationArg, operationNames);

  let requests: PlannedRequest[];
  if (values.file !== undefined) {
    const requestFlags = Object.keys(flags).map((field) => flags[field as RequestField]);
    const mixed = requestFlags.find((flag) => values[flag.slice(2) as keyof typeof values]);
    if (mixed) {
      throw new UsageError(`${mixed} and --file exclude each other: put the field in the file`);
    }
    const plan = await readBulkFile(io.cwd, values.file, operation);
    if (plan.problems.length > 0) {
      reportRowProblems(io, globals.json, plan.problems, plan.rows);

      return exitCodes.failure;
    }
    if (plan.requests.length === 0) {
      throw new OperationError(`--file ${values.file} holds no requests`);
    }
    requests = plan.requests;
  } else {
    requests = [singleRequest(operation, values)];
  }

  if (values['dry-run']) {
    if (globals.json) {
      writeJson(io.stdout, { valid: requests.length, sent: [], problems: [] });
    } else {
      writeLine(io.stdout, `all ${requests.length} request(s) are valid; nothing sent (--dry-run)`);
    }

    return exitCodes.ok;
  }

  return withProduct(globals, io, async ({ config, clients }) => {
    const progress =
      requests.length > 1 ? startProgress(io.stderr, 'sending', requests.length) : undefined;
    const outcome = await sendRequests(
      clients.sqs(),
      { provision: config.provisioningQueueUrl, deprovision: config.deprovisioningQueueUrl },
      requests,
      (sent) => progress?.update(sent),
    );
    progress?.finish();

    if (globals.json) {
      writeJson(io.stdout, outcome);
    } else if (requests.length === 1 && outcome.sent[0]) {
      const [request] = requests as [PlannedRequest];
      writeLine(
        io.stdout,
        `queued ${request.operation} for ${request.leafUserId} (${request.provider}): ` +
          `message ${outcome.sent[0].messageId}`,
      );
    } else {
      const count = (operation: OperationName) =>
        outcome.sent.filter((request) => request.operation === operation).length;
      writeLine(
        io.stdout,
        `sent ${outcome.sent.length} of ${requests.length} request(s) in ${outcome.batches} ` +
          `batch(es): ${count('provision')} to the provisioning queue, ` +
          `${count('deprovision')} to the deprovisioning queue`,
      );
    }
    if (outcome.unsent.length === 0) {
      return exitCodes.ok;
    }
    if (!globals.json) {
      for (const request of outcome.unsent) {
        const where = values.file === undefined ? '' : `line ${request.line}: `;
        writeLine(io.stdout, `${where}NOT sent: ${request.reason}`);
      }
    }
    writeLine(
      io.stderr,
      `${outcome.unsent.length} request(s) were not sent; sending them again is safe: a grower ` +
        'already provisioned with the same secret is left unchanged',
    );

    return exitCodes.failure;
  });
};

/** `leaf-cnhi enqueue`: one request from flags, or many from a file. */
export const enqueueCommand: Command = {
  name: 'enqueue',
  summary: 'send provisioning or deprovisioning requests, one or a whole file',
  help,
  run,
};
