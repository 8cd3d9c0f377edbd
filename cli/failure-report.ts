import { isProvisionerError } from '../functions/shared/errors';
import { CliError, type ExitCode, exitCodes } from './errors';
import type { CliIo } from './io';
import { writeLine } from './output';

interface Explained {
  readonly exitCode: ExitCode;
  readonly message: string;
  readonly hint?: string;
}

const namesOf = (error: unknown): string[] => {
  const fields = error as { name?: unknown; code?: unknown; errors?: unknown } | null;
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  const inner = Array.isArray(fields?.errors) ? fields.errors.flatMap(namesOf) : [];

  return [fields?.name, fields?.code, ...inner].filter((v): v is string => typeof v === 'string');
};

// The SDK's errors are named after the service's error codes; a few of them mean the command
// was pointed at the wrong place, which is configuration, not failure.
const explainAwsError = (error: unknown): Explained => {
  const names = namesOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const is = (...candidates: string[]) => names.some((name) => candidates.includes(name));

  if (is('CredentialsProviderError') || /Could not load credentials/i.test(message)) {
    return {
      exitCode: exitCodes.usage,
      message: `no AWS credentials: ${message}`,
      hint: 'sign in (aws sso login), set AWS_PROFILE or pass --profile; or use --local',
    };
  }
  if (/Region is missing/i.test(message)) {
    return {
      exitCode: exitCodes.usage,
      message: 'no AWS region is set',
      hint: 'pass --region, or set AWS_REGION or a region in your profile',
    };
  }
  if (is('ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH')) {
    return {
      exitCode: exitCodes.usage,
      message: `cannot reach AWS: ${message || names.join(', ')}`,
      hint: 'check the network; against a local environment, is `npm run local:up` still running?',
    };
  }
  if (
    is('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'ResourceNotFoundException')
  ) {
    return {
      exitCode: exitCodes.usage,
      message: `the configuration names something that does not exist: ${message}`,
      hint: 'check --stack, --region or the configuration file',
    };
  }
  if (is('AccessDenied', 'AccessDeniedException', 'AccessDeniedException.Sqs')) {
    return {
      exitCode: exitCodes.failure,
      message: `AWS refused: ${message}`,
      hint: 'your role lacks a permission; docs/operator-command.md lists what each command needs',
    };
  }

  return {
    exitCode: exitCodes.failure,
    message: `${error instanceof Error ? error.name : 'error'}: ${message}`,
  };
};

/** Prints why the command stopped, on stderr, and returns the exit code that says so. */
export const reportFailure = (error: unknown, io: CliIo): ExitCode => {
  const explained: Explained =
    error instanceof CliError
      ? { exitCode: error.exitCode, message: error.message, hint: error.hint }
      : isProvisionerError(error)
        ? // The product's own failures (a local audit, say) read as they do in its records.
          { exitCode: exitCodes.failure, message: `${error.reason}: ${error.message}` }
        : explainAwsError(error);
  writeLine(io.stderr, `leaf-cnhi: ${explained.message}`);
  if (explained.hint) {
    writeLine(io.stderr, `  ${explained.hint}`);
  }

  return explained.exitCode;
};
