/** The exit codes every command shares; scripts may rely on them. */
export const exitCodes = {
  /** Done, and nothing wrong was found. */
  ok: 0,
  /** The operation failed, or the command found failures (bad rows, FAILED records, dead letters). */
  failure: 1,
  /** Wrong arguments or missing configuration: nothing was attempted. */
  usage: 2,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** A failure the command explains itself, with the exit code it ends with. */
export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCode;

  constructor(
    message: string,
    /** A next step for the operator, printed under the message. */
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The arguments do not make a valid command. */
export class UsageError extends CliError {
  readonly exitCode = exitCodes.usage;
}

/** The command cannot find where the queues, table and functions are, or cannot reach them. */
export class ConfigurationError extends CliError {
  readonly exitCode = exitCodes.usage;
}

/** The command ran and the operation it asked for failed. */
export class OperationError extends CliError {
  readonly exitCode = exitCodes.failure;
}
