import { parseArgs } from 'node:util';

/** How often each kind of fault hits a Leaf request, as a share of all requests (0..1). */
export interface FaultRates {
  /** 500, 502, 503 or 504, with a problem, HTML, empty or broken-JSON body. */
  readonly serverError: number;
  /** Half hang until the client gives up, half answer after the client's timeout. */
  readonly timeout: number;
  /** 429 with a `Retry-After`. */
  readonly rateLimit: number;
  /** Half dropped before Leaf applies the request, half after. */
  readonly drop: number;
  /** 400: permanent, so the request is dead-lettered at once. */
  readonly badRequest: number;
}

/** Everything a chaos run can be told; flags win over environment variables. */
export interface ChaosOptions {
  /** Messages sent to the two queues, duplicates included. */
  readonly requests: number;
  /** Seeds the workload and the sandbox's fault draws. */
  readonly seed: number;
  /** Messages sent per second. */
  readonly sendRate: number;
  readonly maxAttempts: number;
  readonly retryBaseDelaySeconds: number;
  readonly retryMaxDelaySeconds: number;
  readonly leafRequestTimeoutMs: number;
  readonly functionTimeoutMs: number;
  /** Invocations running at once per queue. */
  readonly concurrency: number;
  /** How often the Leaf token is made to expire while messages are sent. */
  readonly tokenExpiries: number;
  /** Gives up waiting for the queues to empty after this long. */
  readonly drainTimeoutMs: number;
  readonly faults: FaultRates;
  /** Writes the details of every key with a problem to this JSON file. */
  readonly dumpFile?: string;
}

interface Knob {
  readonly flag: string;
  readonly env: string;
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
}

const knobs = {
  requests: { flag: 'requests', env: 'CHAOS_REQUESTS', min: 1, max: 100_000, integer: true },
  seed: { flag: 'seed', env: 'CHAOS_SEED', min: 0, max: 2 ** 32 - 1, integer: true },
  sendRate: { flag: 'rate', env: 'CHAOS_SEND_RATE', min: 1, max: 10_000, integer: false },
  maxAttempts: {
    flag: 'max-attempts',
    env: 'CHAOS_MAX_ATTEMPTS',
    min: 1,
    max: 1000,
    integer: true,
  },
  retryBaseDelaySeconds: {
    flag: 'retry-base-delay',
    env: 'CHAOS_RETRY_BASE_DELAY_SECONDS',
    min: 0,
    max: 900,
    integer: true,
  },
  retryMaxDelaySeconds: {
    flag: 'retry-max-delay',
    env: 'CHAOS_RETRY_MAX_DELAY_SECONDS',
    min: 0,
    max: 900,
    integer: true,
  },
  leafRequestTimeoutMs: {
    flag: 'leaf-timeout-ms',
    env: 'CHAOS_LEAF_TIMEOUT_MS',
    min: 100,
    max: 60_000,
    integer: true,
  },
  functionTimeoutMs: {
    flag: 'function-timeout-ms',
    env: 'CHAOS_FUNCTION_TIMEOUT_MS',
    min: 1_000,
    max: 900_000,
    integer: true,
  },
  concurrency: { flag: 'concurrency', env: 'CHAOS_CONCURRENCY', min: 1, max: 50, integer: true },
  tokenExpiries: {
    flag: 'token-expiries',
    env: 'CHAOS_TOKEN_EXPIRIES',
    min: 0,
    max: 100,
    integer: true,
  },
  drainTimeoutMs: {
    flag: 'drain-timeout-ms',
    env: 'CHAOS_DRAIN_TIMEOUT_MS',
    min: 1_000,
    max: 3_600_000,
    integer: true,
  },
} satisfies Record<Exclude<keyof ChaosOptions, 'faults' | 'dumpFile'>, Knob>;

const rate = (flag: string, env: string): Knob => ({ flag, env, min: 0, max: 1, integer: false });

const faultKnobs = {
  serverError: rate('fault-5xx', 'CHAOS_FAULT_5XX'),
  timeout: rate('fault-timeout', 'CHAOS_FAULT_TIMEOUT'),
  rateLimit: rate('fault-429', 'CHAOS_FAULT_429'),
  drop: rate('fault-drop', 'CHAOS_FAULT_DROP'),
  badRequest: rate('fault-400', 'CHAOS_FAULT_400'),
} satisfies Record<keyof FaultRates, Knob>;

/**
 * The fault mix. Eight attempts with delays doubling from 1 s to a cap of 8 s let a request
 * survive a run of bad luck: at these rates an attempt succeeds about half the time, so eight
 * failures in a row happen to about one request in 250 (reported as `inDlq`, never as `lost`).
 */
export const defaultChaosOptions: ChaosOptions = {
  requests: 1000,
  seed: 7,
  sendRate: 12,
  maxAttempts: 8,
  retryBaseDelaySeconds: 1,
  retryMaxDelaySeconds: 8,
  leafRequestTimeoutMs: 1_500,
  functionTimeoutMs: 30_000,
  concurrency: 2,
  tokenExpiries: 2,
  drainTimeoutMs: 10 * 60_000,
  faults: { serverError: 0.2, timeout: 0.05, rateLimit: 0.05, drop: 0.02, badRequest: 0.01 },
};

/** A bad flag or variable; the message names it and quotes the value. */
export class ChaosOptionsError extends Error {
  override name = 'ChaosOptionsError';
}

const read = (
  knob: Knob,
  flags: Record<string, string | undefined>,
  env: Readonly<Record<string, string | undefined>>,
  fallback: number,
): number => {
  const raw = flags[knob.flag] ?? env[knob.env];
  if (raw === undefined || raw.trim() === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value) || value < knob.min || value > knob.max) {
    throw new ChaosOptionsError(
      `--${knob.flag} (${knob.env}) must be from ${knob.min} to ${knob.max} (given ${raw})`,
    );
  }
  if (knob.integer && !Number.isInteger(value)) {
    throw new ChaosOptionsError(`--${knob.flag} (${knob.env}) must be whole (given ${raw})`);
  }

  return value;
};

const readAll = <K extends string>(
  table: Record<K, Knob>,
  flags: Record<string, string | undefined>,
  env: Readonly<Record<string, string | undefined>>,
  defaults: Record<K, number>,
): Record<K, number> =>
  Object.fromEntries(
    (Object.keys(table) as K[]).map((name) => [
      name,
      read(table[name], flags, env, defaults[name]),
    ]),
  ) as Record<K, number>;

/** Reads `--requests 1000 --seed 7 …` and `CHAOS_*` variables over the defaults. */
export const parseChaosOptions = (
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  defaults: ChaosOptions = defaultChaosOptions,
): ChaosOptions => {
  const allFlags = [...Object.values<Knob>(knobs), ...Object.values<Knob>(faultKnobs)];
  let flags: Record<string, string | undefined>;
  try {
    flags = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        [...allFlags.map((knob) => knob.flag), 'dump'].map((flag) => [flag, { type: 'string' }]),
      ),
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | undefined>;
  } catch (error) {
    throw new ChaosOptionsError((error as Error).message);
  }
  const { faults: defaultFaults, dumpFile, ...defaultKnobs } = defaults;
  const dump = flags.dump ?? env.CHAOS_DUMP ?? dumpFile;
  const options: ChaosOptions = {
    ...readAll(knobs, flags, env, defaultKnobs),
    faults: readAll(faultKnobs, flags, env, { ...defaultFaults }),
    ...(dump ? { dumpFile: dump } : {}),
  };
  const total = Object.values(options.faults).reduce((sum, share) => sum + share, 0);
  if (total > 1) {
    throw new ChaosOptionsError(`fault rates add up to more than 1 (given ${total.toFixed(3)})`);
  }
  if (options.retryMaxDelaySeconds < options.retryBaseDelaySeconds) {
    throw new ChaosOptionsError(
      `--retry-max-delay (${options.retryMaxDelaySeconds}) is below --retry-base-delay (${options.retryBaseDelaySeconds})`,
    );
  }

  return options;
};
