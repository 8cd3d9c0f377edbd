import { isProvider, providerIds } from '../../functions/shared/providers';
import type { State, StatusRecord } from '../../functions/shared/status-store';
import { globalOptionsHelp, noMorePositionals, parseCommandArgs } from '../args';
import { type Command, withProduct } from '../command';
import { exitCodes, UsageError } from '../errors';
import { cell, shortTime, writeJson, writeLine, writeTable } from '../output';
import { checkLeafUserId } from '../request-check';
import { readStatusRecords, states } from '../status-records';

const help = `Usage: leaf-cnhi status [--user ID] [--state STATE[,STATE…]] [--provider P] [--json]

Shows the status records: where each Leaf user's credential stands, per provider, the latest
change first. With --user it reads that user's records only; without, it scans the whole table
(which needs dynamodb:Scan on the status table for your role).

Options:
  --user ID          one Leaf user (UUID)
  --state STATES     ${states.join(', ')}; several separated by commas
  --provider P       ${providerIds.join(' or ')}

${globalOptionsHelp}

Exit status: 0 records shown (none FAILED); 1 some shown record is FAILED; 2 wrong arguments or
missing configuration.`;

const options = {
  user: { type: 'string' },
  state: { type: 'string' },
  provider: { type: 'string' },
} as const;

const parseStates = (value: string): State[] =>
  value.split(',').map((given) => {
    const state = given.trim().toUpperCase();
    if (!(states as string[]).includes(state)) {
      throw new UsageError(
        `--state must be among ${states.join(', ')} (given ${JSON.stringify(given)})`,
      );
    }

    return state as State;
  });

const toRow = (record: StatusRecord) => ({
  leafUserId: record.leafUserId,
  provider: record.provider,
  state: record.state,
  operation: cell(record.operation),
  action: cell(record.action),
  leaf: cell(record.leafStatus),
  attempts: cell(record.attempts),
  updated: shortTime(record.updatedAt),
  reason: cell(record.reasonCode),
});

const run: Command['run'] = async (args, io) => {
  const { values, positionals, globals } = parseCommandArgs('status', args, options);
  noMorePositionals('status', positionals);
  let leafUserId: string | undefined;
  if (values.user !== undefined) {
    const checked = checkLeafUserId(values.user);
    if (!checked.ok) {
      throw new UsageError(`--user: ${checked.message}`);
    }
    leafUserId = checked.leafUserId;
  }
  if (values.provider !== undefined && !isProvider(values.provider)) {
    throw new UsageError(
      `--provider must be ${providerIds.join(' or ')} (given ${JSON.stringify(values.provider)})`,
    );
  }
  const filter = {
    leafUserId,
    provider: values.provider,
    states: values.state === undefined ? undefined : parseStates(values.state),
  };

  const records = await withProduct(globals, io, ({ config, clients }) =>
    readStatusRecords(clients.dynamo(), config.statusTableName, filter),
  );

  if (globals.json) {
    writeJson(io.stdout, records);
  } else {
    writeTable(io.stdout, records.map(toRow), 'no status records match');
    const explained = records.filter((record) => record.reasonMessage);
    if (leafUserId && explained.length > 0) {
      writeLine(io.stdout);
      for (const record of explained) {
        writeLine(io.stdout, `  ${record.provider}: ${record.reasonCode}: ${record.reasonMessage}`);
      }
    }
  }

  return records.some((record) => record.state === 'FAILED') ? exitCodes.failure : exitCodes.ok;
};

/** `leaf-cnhi status`: the status records as a table or JSON. */
export const statusCommand: Command = {
  name: 'status',
  summary: 'show the status records, by user, state or provider',
  help,
  run,
};
