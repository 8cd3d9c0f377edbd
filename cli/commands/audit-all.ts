import type { ScheduledAuditAnswer } from '../../functions/shared/scheduled-audit-handler';
import type { GlobalOptions } from '../args';
import { integerIn, noMorePositionals } from '../args';
import { withProduct } from '../command';
import { ConfigurationError, type ExitCode, exitCodes, UsageError } from '../errors';
import type { CliIo, OutputStream } from '../io';
import { cell, shortTime, writeJson, writeLine, writeTable } from '../output';
import { invokeScheduledAudit, runScheduledAuditLocally } from '../scheduled-audit-runner';

/** The options `audit` takes for `--all`, merged into its own. */
export const auditAllOptions = {
  all: { type: 'boolean' },
  'read-only': { type: 'boolean' },
  'requests-per-minute': { type: 'string' },
  'max-minutes': { type: 'string' },
} as const;

/** The `--all` part of `audit --help`. */
export const auditAllHelp = `Usage: leaf-cnhi audit --all [--read-only] [--requests-per-minute N] [--max-minutes M] [--json]

Runs the scheduled audit now: reads every recorded credential back from Leaf, notes Leaf's status
and any drift in each record, and prints the report the schedule logs: the totals, each record
that does not agree with Leaf, and each it could not read. Invokes the stack's scheduled audit
function and waits for it (up to 15 minutes); against a local environment it runs the same code
in this process.

  --read-only              note nothing in the records
  --requests-per-minute N  Leaf requests a minute of a run in this process, 1 to 1000 (default
                           200); the function keeps its deployment's (auditRequestsPerMinute)
  --max-minutes M          how long a run in this process may take, 1 to 120 (default 15)

Exit status of --all: 0 every record agrees with Leaf; 1 some record differs, is unsettled or
could not be read, or the audit failed; 2 wrong arguments or missing configuration.`;

type Values = { readonly [K in keyof typeof auditAllOptions]?: unknown } & {
  readonly user?: unknown;
  readonly provider?: unknown;
};

const writeReport = (out: OutputStream, answer: ScheduledAuditAnswer) => {
  writeLine(out, `audit       ${shortTime(answer.startedAt)} to ${shortTime(answer.finishedAt)}`);
  writeLine(
    out,
    `records     ${answer.records} (audited ${answer.audited}, missed ${answer.missed.length})`,
  );
  writeLine(out, `agreeing    ${answer.agreeing}`);
  writeLine(out, `differing   ${answer.differing}`);
  writeLine(out, `unsettled   ${answer.unsettled}`);
  writeLine(out, `unhealthy   ${answer.unhealthy} (Leaf reports a status other than OK)`);
  writeLine(out);
  writeLine(out, 'records that do not agree with Leaf');
  writeTable(
    out,
    answer.attention.map((credential) => ({
      leafUserId: credential.leafUserId,
      provider: credential.provider,
      state: credential.state,
      agreement: credential.agreement,
      leaf: cell(credential.leafStatus),
      findings: credential.findings.join('; '),
    })),
    'none',
  );
  writeLine(out);
  writeLine(out, 'records not read');
  writeTable(
    out,
    answer.missed.map((miss) => ({
      leafUserId: miss.leafUserId,
      provider: miss.provider,
      reason: miss.reasonCode,
    })),
    'none',
  );
};

/** `leaf-cnhi audit --all`: the scheduled audit, now, with its report. */
export const runAuditAll = async (
  values: Values,
  positionals: readonly string[],
  globals: GlobalOptions,
  io: CliIo,
): Promise<ExitCode> => {
  noMorePositionals('audit', positionals);
  if (values.user !== undefined || values.provider !== undefined) {
    throw new UsageError('--all audits every record: give it without --user and --provider');
  }
  const rate = values['requests-per-minute'];
  const minutes = values['max-minutes'];
  const options = {
    write: values['read-only'] !== true,
    requestsPerMinute:
      typeof rate === 'string' ? integerIn('--requests-per-minute', rate, 1, 1000) : 200,
    maxMinutes: typeof minutes === 'string' ? integerIn('--max-minutes', minutes, 1, 120) : 15,
  };

  const answer = await withProduct(globals, io, async ({ config, clients }) => {
    if (config.mode === 'local') {
      return runScheduledAuditLocally(config, clients, options);
    }
    if (!config.scheduledAuditFunctionName) {
      throw new ConfigurationError(
        `${config.source} names no scheduled audit function (scheduledAuditFunctionName)`,
        'deploy the current version of the stack',
      );
    }
    writeLine(io.stderr, `running ${config.scheduledAuditFunctionName}; this can take 15 minutes`);

    return invokeScheduledAudit(clients.lambda(), config.scheduledAuditFunctionName, options);
  });

  if (globals.json) {
    writeJson(io.stdout, answer);
  } else {
    writeReport(io.stdout, answer);
  }

  return answer.agreeing === answer.records ? exitCodes.ok : exitCodes.failure;
};
