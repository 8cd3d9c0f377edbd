import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { AuditRequest } from '../../functions/shared/audit';
import { StatusStore } from '../../functions/shared/status-store';
import { globalOptionsHelp, integerIn, noMorePositionals, parseCommandArgs } from '../args';
import { invokeAuditFunction, runAuditLocally } from '../audit-runner';
import { type Command, type Product, withProduct } from '../command';
import { ConfigurationError, exitCodes, UsageError } from '../errors';
import {
  type MigrationPorts,
  type MigrationResult,
  type MigrationTarget,
  migrateGrower,
} from '../migration';
import { writeJson, writeLine } from '../output';
import { checkRequestBody } from '../request-check';
import { formatOf, readRequestFile } from '../request-file';

const help = `Usage:
  leaf-cnhi migrate --user ID --secret NAME [--timeout SECONDS] [--interval SECONDS]
  leaf-cnhi migrate --file growers.csv|growers.jsonl [--timeout SECONDS] [--interval SECONDS]

Moves growers from CNH's legacy platform to FieldOps. For each grower it enqueues the provisioning
of the FieldOps credentials in the secret, waits until the status record says they were
provisioned and Leaf reports the FieldOps credential OK, and only then enqueues the removal of the
legacy cnhi credential. Anything else leaves the legacy credential in place and says why. Growers
of a file are migrated one after another; running the command again is safe.

Options:
  --user ID             the Leaf user's UUID
  --secret NAME         name or ARN of the secret with the grower's FieldOps credentials
  --file PATH           .csv with a header row, or .jsonl; fields leafUserId, secretId and,
                        optionally, correlationId
  --timeout SECONDS     how long to wait for each grower (default 300)
  --interval SECONDS    pause between two looks at the record and at Leaf (default 2)

${globalOptionsHelp}

Exit status: 0 every grower migrated; 1 at least one kept its legacy credential (see why);
2 wrong arguments or missing configuration.`;

const options = {
  user: { type: 'string' },
  secret: { type: 'string' },
  file: { type: 'string' },
  timeout: { type: 'string' },
  interval: { type: 'string' },
} as const;

// The functions' own parser judges each target, so nothing is enqueued that they would refuse.
const checkTarget = (fields: Readonly<Record<string, unknown>>, where: string): MigrationTarget => {
  const { leafUserId, secretId, correlationId } = fields;
  const body = { leafUserId, secretId, provider: 'cnhi-fieldops', correlationId };
  const checked = checkRequestBody(JSON.stringify(body), 'PROVISION');
  if (!checked.ok) {
    throw new UsageError(`${where}: ${checked.error.message}`);
  }
  const { request } = checked;

  return {
    leafUserId: request.leafUserId,
    secretId: request.secretId as string,
    correlationId: request.correlationId,
  };
};

const readTargets = async (values: Record<string, unknown>, cwd: string) => {
  const file = values.file as string | undefined;
  if (file === undefined) {
    if (values.user === undefined || values.secret === undefined) {
      throw new UsageError('give --user and --secret, or --file', 'see leaf-cnhi migrate --help');
    }

    return [checkTarget({ leafUserId: values.user, secretId: values.secret }, 'arguments')];
  }
  if (values.user !== undefined || values.secret !== undefined) {
    throw new UsageError('--file excludes --user and --secret');
  }
  const format = formatOf(file);
  if (!format) {
    throw new UsageError(`--file must end in .csv or .jsonl (given ${JSON.stringify(file)})`);
  }
  const { rows, problems } = readRequestFile(await readFile(resolve(cwd, file), 'utf8'), format);
  const [problem] = problems;
  if (problem) {
    throw new UsageError(`${file} line ${problem.line}: ${problem.message}`);
  }

  return rows.map((row) => checkTarget(row.fields, `${file} line ${row.line}`));
};

const portsOf = ({ config, clients }: Product): MigrationPorts => {
  const store = new StatusStore(clients.dynamo(), config.statusTableName);
  const queueOf = {
    PROVISION: config.provisioningQueueUrl,
    DEPROVISION: config.deprovisioningQueueUrl,
  };
  const audit = (request: AuditRequest) => {
    if (config.mode === 'local') {
      return runAuditLocally(config, clients, request);
    }
    if (!config.auditFunctionName) {
      throw new ConfigurationError(`${config.source} names no audit function (auditFunctionName)`);
    }

    return invokeAuditFunction(clients.lambda(), config.auditFunctionName, request);
  };

  return {
    enqueue: async (operation, body) => {
      const sent = await clients.sqs().send(
        new SendMessageCommand({
          QueueUrl: queueOf[operation],
          MessageBody: JSON.stringify(body),
        }),
      );

      return sent.MessageId ?? '';
    },
    readRecord: (leafUserId, provider) => store.get(leafUserId, provider),
    audit: (leafUserId, provider) => audit({ leafUserId, provider }),
  };
};

const describe = (result: MigrationResult): string =>
  result.status === 'MIGRATED'
    ? `MIGRATED     ${result.leafUserId}: FieldOps credential ${result.fieldOpsCredentialId} OK; legacy removal enqueued (message ${result.deprovisionMessageId})`
    : `LEGACY KEPT  ${result.leafUserId}: ${result.reason}`;

const run: Command['run'] = async (args, io) => {
  const { values, positionals, globals } = parseCommandArgs('migrate', args, options);
  noMorePositionals('migrate', positionals);
  const timeoutMs = integerIn('--timeout', values.timeout ?? '300', 1, 86_400) * 1000;
  const intervalMs = integerIn('--interval', values.interval ?? '2', 1, 600) * 1000;
  const targets = await readTargets(values, io.cwd);

  const results = await withProduct(globals, io, async (product) => {
    const ports = portsOf(product);
    const done: MigrationResult[] = [];
    for (const target of targets) {
      const result = await migrateGrower(ports, target, {
        timeoutMs,
        pollIntervalMs: intervalMs,
        onProgress: (leafUserId, note) => writeLine(io.stderr, `${leafUserId}: ${note}`),
      });
      done.push(result);
      if (!globals.json) {
        writeLine(io.stdout, describe(result));
      }
    }

    return done;
  });

  if (globals.json) {
    writeJson(io.stdout, results);
  }

  return results.every((result) => result.status === 'MIGRATED') ? exitCodes.ok : exitCodes.failure;
};

/** `leaf-cnhi migrate`: moves growers to FieldOps, removing the legacy credential only once safe. */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'move growers to FieldOps; remove the legacy credential once FieldOps is OK',
  help,
  run,
};
