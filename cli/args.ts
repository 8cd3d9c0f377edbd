import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes: where the product runs, and how to print. */
export const globalOptions = {
  local: { type: 'boolean' },
  config: { type: 'string' },
  stack: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

/** The help text of those options, shared by every command's `--help`. */
export const globalOptionsHelp = `Where the product runs (default: the CloudFormation stack LeafCnhiProvisioner):
  --stack NAME       read queue, table and function names from this stack's outputs
                     (env LEAF_CNHI_STACK)
  --local            use the local environment of \`npm run local:up\` (env LEAF_CNHI_ENV=local)
  --config FILE      read them from a JSON file instead (env LEAF_CNHI_CONFIG)
  --region REGION    AWS region (default: the SDK's, from AWS_REGION or the profile)
  --profile NAME     AWS profile (default: the SDK's, from AWS_PROFILE)
Output:
  --json             one JSON document on stdout, for scripts
  -h, --help         this help`;

/** The global options as a command receives them. */
export interface GlobalOptions {
  readonly local: boolean;
  readonly config?: string;
  readonly stack?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly json: boolean;
}

/** Whether `--help` or `-h` appears before a `--` that ends the options. */
export const wantsHelp = (args: readonly string[]): boolean => {
  const end = args.indexOf('--');

  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
};

/**
 * Parses one command's arguments strictly, together with the global options. Node's own errors
 * ("Unknown option '--usr'") become usage errors that point at the command's help.
 */
export const parseCommandArgs = <T extends OptionSpecs>(
  command: string,
  args: readonly string[],
  options: T,
) => {
  try {
    const parsed = parseArgs({
      args: [...args],
      options: { ...globalOptions, ...options },
      allowPositionals: true,
      strict: true,
    });
    const values = parsed.values as Record<string, unknown>;
    const globals: GlobalOptions = {
      local: values.local === true,
      config: values.config as string | undefined,
      stack: values.stack as string | undefined,
      region: values.region as string | undefined,
      profile: values.profile as string | undefined,
      json: values.json === true,
    };

    return { values: parsed.values, positionals: parsed.positionals, globals };
  } catch (error) {
    if (error instanceof UsageError) {
      throw error;
    }
    const message = error instanceof Error ? error.message : String(error);
    // Node suggests `--foo=-bar` for a value that starts with a dash; the first sentence suffices.
    throw new UsageError(message.split('. ')[0] ?? message, `see leaf-cnhi ${command} --help`, {
      cause: error,
    });
  }
};

/** Refuses positionals a command does not take, naming the first one. */
export const noMorePositionals = (command: string, positionals: readonly string[]): void => {
  if (positionals.length > 0) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(positionals[0])}`,
      `see leaf-cnhi ${command} --help`,
    );
  }
};

/** Checks a value against the few a flag accepts. */
export const oneOf = <T extends string>(flag: string, value: string, allowed: readonly T[]): T => {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(
      `${flag} must be one of ${allowed.join(', ')} (given ${JSON.stringify(value)})`,
    );
  }

  return value as T;
};

/** Reads a whole number within bounds from a flag. */
export const integerIn = (flag: string, value: string, min: number, max: number): number => {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new UsageError(
      `${flag} must be a whole number from ${min} to ${max} (given ${JSON.stringify(value)})`,
    );
  }

  return number;
};
