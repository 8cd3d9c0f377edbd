import type { AuditAnswer } from '../../functions/shared/audit';
import { isProvider, providerIds } from '../../functions/shared/providers';
import { globalOptionsHelp, noMorePositionals, parseCommandArgs } from '../args';
import { invokeAuditFunction, runAuditLocally } from '../audit-runner';
import { type Command, withProduct } from '../command';
import { ConfigurationError, exitCodes, UsageError } from '../errors';
import type { OutputStream } from '../io';
import { cell, shortTime, writeJson, writeLine, writeTable } from '../output';
import { checkLeafUserId } from '../request-check';
import { auditAllHelp, auditAllOptions, runAuditAll } from './audit-all';

const help = `Usage: leaf-cnhi audit --user ID [--provider P] [--json]

Asks Leaf which credential it holds for the user and sets it beside the status record and the
latest history, without a single secret value. Invokes the audit function of the stack; against
a local environment (--local, or a configuration whose mode is local) it runs the same handler
in this process, against the Leaf sandbox.

Options:
  --user ID          the Leaf user (UUID)
  --provider P       ${providerIds.join(' or ')} (default cnhi)

${globalOptionsHelp}

Exit status: 0 Leaf and the record agree; 1 they differ, the record is unsettled (pending,
retrying, failed) or the audit failed; 2 wrong arguments or missing configuration.

${auditAllHelp}`;

const options = {
  user: { type: 'string' },
  provider: { type: 'string' },
  ...auditAllOptions,
} as const;

const describeLeaf = (leaf: AuditAnswer['leaf']): string => {
  if (!leaf.present) {
    return 'no credential';
  }
  const parts = [
    `credential ${leaf.id}`,
    `status ${leaf.status}`,
    leaf.createdTime ? `created ${shortTime(leaf.createdTime)}` : undefined,
    leaf.clientEnvironment ? `environment ${leaf.clientEnvironment}` : undefined,
    leaf.clientIdLast4 ? `client id …${leaf.clientIdLast4}` : undefined,
  ];

  return parts.filter(Boolean).join(', ');
};

const describeRecord = (record: AuditAnswer['record']): string => {
  if (!record) {
    return 'none';
  }
  const parts = [
    `${record.state} after ${record.operation}${record.action ? ` (${record.action})` : ''}`,
    `updated ${shortTime(record.updatedAt)}`,
    record.credentialId ? `credential ${record.credentialId}` : undefined,
    `attempts ${record.attempts}`,
    record.reasonCode ? `reason ${record.reasonCode}: ${record.reasonMessage ?? ''}` : undefined,
  ];

  return parts.filter(Boolean).join(', ');
};

const writeAnswer = (out: OutputStream, answer: AuditAnswer) => {
  writeLine(out, `Leaf user   ${answer.leafUserId}`);
  writeLine(out, `provider    ${answer.provider}`);
  writeLine(out, `agreement   ${answer.agreement}`);
  writeLine(out, `at Leaf     ${describeLeaf(answer.leaf)}`);
  writeLine(out, `record      ${describeRecord(answer.record)}`);
  for (const [i, finding] of answer.findings.entries()) {
    writeLine(out, `${i === 0 ? 'findings' : ''.padEnd(8)}    - ${finding}`);
  }
  writeLine(out);
  writeLine(out, 'history, latest first');
  writeTable(
    out,
    answer.history.map((entry) => ({
      at: shortTime(entry.at),
      operation: entry.operation,
      outcome: entry.outcome,
      action: cell(entry.action),
      leaf: cell(entry.leafStatus),
      attempts: cell(entry.attempts),
      reason: cell(entry.reasonCode),
    })),
    'no history',
  );
};

const run: Command['run'] = async (args, io) => {
  const { values, positionals, globals } = parseCommandArgs('audit', args, options);
  if (values.all === true) {
    return runAuditAll(values, positionals, globals, io);
  }
  noMorePositionals('audit', positionals);
  if (values.user === undefined) {
    throw new UsageError('give --user', 'see leaf-cnhi audit --help');
  }
  const checked = checkLeafUserId(values.user);
  if (!checked.ok) {
    throw new UsageError(`--user: ${checked.message}`);
  }
  const provider = values.provider ?? 'cnhi';
  if (!isProvider(provider)) {
    throw new UsageError(
      `--provider must be ${providerIds.join(' or ')} (given ${JSON.stringify(provider)})`,
    );
  }
  const request = { leafUserId: checked.leafUserId, provider };

  const result = await withProduct(globals, io, async ({ config, clients }) => {
    if (config.mode === 'local') {
      return runAuditLocally(config, clients, request);
    }
    if (!config.auditFunctionName) {
      throw new ConfigurationError(`${config.source} names no audit function (auditFunctionName)`);
    }

    return invokeAuditFunction(clients.lambda(), config.auditFunctionName, request);
  });

  if (globals.json) {
    writeJson(io.stdout, result);
  }
  if ('error' in result) {
    writeLine(io.stderr, `audit failed: ${result.error.reasonCode}: ${result.error.message}`);

    return exitCodes.failure;
  }
  if (!globals.json) {
    writeAnswer(io.stdout, result);
  }

  return result.agreement === 'AGREES' ? exitCodes.ok : exitCodes.failure;
};

/** `leaf-cnhi audit`: what Leaf holds for a user, beside the status record. */
export const auditCommand: Command = {
  name: 'audit',
  summary: "compare a user's credential at Leaf with the status record",
  help,
  run,
};
