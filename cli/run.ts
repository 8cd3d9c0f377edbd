import { wantsHelp } from './args';
import type { Command } from './command';
import { auditCommand } from './commands/audit';
import { dlqListCommand } from './commands/dlq-list';
import { dlqRedriveCommand } from './commands/dlq-redrive';
import { enqueueCommand } from './commands/enqueue';
import { migrateCommand } from './commands/migrate';
import { statusCommand } from './commands/status';
import { webhookCommand } from './commands/webhook';
import { type ExitCode, exitCodes, UsageError } from './errors';
import { reportFailure } from './failure-report';
import type { CliIo } from './io';
import { writeLine } from './output';

const commands: readonly Command[] = [
  enqueueCommand,
  statusCommand,
  auditCommand,
  dlqListCommand,
  dlqRedriveCommand,
  migrateCommand,
  webhookCommand,
];

const overview = `Usage: leaf-cnhi <command> [options]

Operates leaf-cnhi-provisioner: sends provisioning requests (one or a file of them), shows where
each grower's credential stands, audits one credential or all of them at Leaf, moves growers to
FieldOps, registers Leaf's webhooks, and inspects and redrives the dead-letter queues. Requests
name secrets; no command prints a secret's value. Only the commands that call Leaf from this
process (webhook, and audit or migrate against a local environment) read the Leaf API-owner or
webhook secret.

Commands:
${commands.map((command) => `  ${command.name.padEnd(13)} ${command.summary}`).join('\n')}

Where the product runs: the CloudFormation stack LeafCnhiProvisioner by default (--stack NAME),
the local environment of \`npm run local:up\` (--local), or a JSON file (--config FILE).
AWS credentials and region come from the usual places (AWS_PROFILE, AWS_REGION, --profile,
--region).

Run \`leaf-cnhi <command> --help\` for a command's options.

Exit status: 0 done, nothing wrong found; 1 a failure was found or the operation failed;
2 wrong arguments or missing configuration.`;

const dlqOverview = `Usage: leaf-cnhi dlq list|redrive [options]

${commands
  .filter((command) => command.name.startsWith('dlq '))
  .map((command) => `  ${command.name.padEnd(13)} ${command.summary}`)
  .join('\n')}

Run \`leaf-cnhi dlq <list|redrive> --help\` for the options.`;

// `dlq list` and `dlq redrive` are two words; every other command is one.
const findCommand = (argv: readonly string[]): { command?: Command; args: readonly string[] } => {
  const [first, ...rest] = argv;
  if (first === 'dlq') {
    const [second, ...args] = rest;

    return { command: commands.find((c) => c.name === `dlq ${second}`), args };
  }

  return { command: commands.find((c) => c.name === first), args: rest };
};

const dispatch = async (argv: readonly string[], io: CliIo): Promise<ExitCode> => {
  const [first, second] = argv;
  if (first === undefined) {
    writeLine(io.stderr, overview);

    return exitCodes.usage;
  }
  if (first === '--help' || first === '-h' || (first === 'help' && second === undefined)) {
    writeLine(io.stdout, overview);

    return exitCodes.ok;
  }
  if (first === 'help') {
    return dispatch([...argv.slice(1), '--help'], io);
  }
  const { command, args } = findCommand(argv);
  if (!command && first === 'dlq') {
    if (second === '--help' || second === '-h') {
      writeLine(io.stdout, dlqOverview);

      return exitCodes.ok;
    }
    if (second === undefined) {
      writeLine(io.stderr, dlqOverview);

      return exitCodes.usage;
    }
    throw new UsageError(
      `unknown dlq command ${JSON.stringify(second)}`,
      'run leaf-cnhi dlq --help',
    );
  }
  if (!command) {
    throw new UsageError(
      `unknown command ${JSON.stringify(first)}`,
      'run leaf-cnhi --help for the commands',
    );
  }
  if (wantsHelp(args)) {
    writeLine(io.stdout, command.help);

    return exitCodes.ok;
  }

  return command.run(args, io);
};

/**
 * Runs `leaf-cnhi` with the arguments after the program name, writing only to the given streams,
 * and resolves to the exit code. Nothing here exits the process, so tests can run it in-process.
 */
export const run = async (argv: readonly string[], io: CliIo): Promise<ExitCode> => {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    return reportFailure(error, io);
  }
};
