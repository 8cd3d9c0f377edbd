import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { leafRequestLimits as functionLeafLimits } from '../functions/shared/leaf-limits';

/** Reads one CDK context value, as `app.node.tryGetContext` does. */
export type ContextReader = (key: string) => unknown;

/**
 * The deployment's settings, read from CDK context (`cdk.json` or `cdk synth -c key=value`).
 * Every key is optional in context; the defaults are in {@link defaultConfig}.
 */
export interface ProvisionerConfig {
  /**
   * Leaf's API root. Must be an https URL.
   * @default 'https://api.withleaf.io'
   */
  readonly leafApiBaseUrl: string;
  /**
   * Name of the secret holding Leaf's API-owner `{ "username", "password" }`. Must not lie under
   * `growerSecretPrefix`, so no message can name it as a grower's secret.
   * @default 'leaf/api-owner'
   */
  readonly leafApiOwnerSecretName: string;
  /**
   * Name prefix of every grower secret; provision may read exactly the secrets under it. Must end
   * with `/`.
   * @default 'leaf/cnhi/'
   */
  readonly growerSecretPrefix: string;
  /**
   * Concurrent invocations each queue's event source may start. It also divides Leaf's rate limit:
   * each consumer execution environment is paced to
   * floor((leafRateLimitPerMinute − auditRequestsPerMinute) / (2 queues × maxConcurrency))
   * requests a minute, so raising it adds no throughput once the pacer binds, only environments.
   *
   * The default is Lambda's least value. At Leaf's usual L ≈ 200 ms a record (GET, then POST) takes
   * about 2 L + 30 ms, so one record in flight makes about 280 requests a minute: 2 queues × 2
   * environments × 1 record ≈ 1100 a minute, roughly Leaf's limit by concurrency alone, and the
   * pacer (200 a minute each at the defaults) only trims the peaks; from L ≈ 300 ms it never waits.
   * With the former 5 × 10 records in flight, concurrency alone asked Leaf for over 9000 a minute
   * and every record would have queued at the pacer instead.
   * @default 2
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html#events-sqs-max-concurrency
   */
  readonly maxConcurrency: number;
  /**
   * Deliveries of one message before SQS moves it to the dead-letter queue (the redrive policy's
   * `maxReceiveCount`).
   * @default 5
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
   */
  readonly maxAttempts: number;
  /**
   * Records of one batch a consuming function processes at the same time. One by default, so the
   * requests in flight stay near what Leaf's limit allows (see `maxConcurrency`): throughput is
   * set by the pacer's share, and a batch run side by side would only wait at the pacer, every
   * record holding its lease meanwhile. Raise it together with a lower Leaf latency or a larger
   * `leafRateLimitPerMinute`.
   * @default 1
   */
  readonly recordConcurrency: number;
  /**
   * Timeout of the queue-consuming functions. It must cover a whole batch at the worst case of
   * every Leaf request timing out on every attempt (10 records in turn at the default
   * `recordConcurrency` 1: 240 s); each queue's visibility timeout is six times it. A normal
   * batch takes seconds: the timeout only bounds the worst case.
   * @default 300
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
   */
  readonly consumerTimeoutSeconds: number;
  /**
   * First retry delay of a transient failure, doubled per attempt with jitter.
   * @default 10
   */
  readonly retryBaseDelaySeconds: number;
  /**
   * Cap on any retry delay; SQS allows a visibility timeout of at most 12 hours.
   * @default 900
   */
  readonly retryMaxDelaySeconds: number;
  /**
   * Retention of every function's log group; one of the values CloudWatch Logs accepts.
   * @default 30
   * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
   */
  readonly logRetentionDays: RetentionDays;
  /**
   * Whether the functions bundle their own AWS SDK instead of using the runtime's.
   * @default true
   */
  readonly bundleAwsSdk: boolean;
  /**
   * Address that receives every alarm by e-mail; it must confirm the subscription.
   * @default - no subscription; alarms still publish to the topic
   */
  readonly alarmEmail?: string;
  /**
   * When the scheduled audit reads every recorded credential back from Leaf: an EventBridge
   * `rate(...)` of at least 15 minutes (the audit's timeout, so runs never overlap) or a
   * `cron(...)` expression, in UTC.
   * @default 'rate(1 day)'
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
   */
  readonly auditSchedule: string;
  /**
   * Leaf requests a minute the scheduled audit may make; below `leafRateLimitPerMinute`, whose
   * rest goes to the queue consumers.
   * @default 200
   */
  readonly auditRequestsPerMinute: number;
  /**
   * Leaf's rate limit for the API owner as a whole, in requests a minute (Leaf's draft limit is
   * about 1000). The audit takes `auditRequestsPerMinute` of it and each consumer execution
   * environment an equal share of the rest, enforced by a pacer in its Leaf client, so the product
   * stays under the limit by construction whatever the concurrency (the audit function invoked by
   * hand makes one request per call and is not paced). The share must be at least 1.
   * @default 1000
   */
  readonly leafRateLimitPerMinute: number;
  /**
   * Name of the secret whose `SecretString` is the key Leaf signs webhook calls with (the
   * `secret` given at registration). Must lie outside `growerSecretPrefix` and differ from
   * `leafApiOwnerSecretName`.
   * @default 'leaf/webhook'
   */
  readonly webhookSecretName: string;
}

/** The values used when a context key is absent. */
export const defaultConfig: ProvisionerConfig = {
  leafApiBaseUrl: 'https://api.withleaf.io',
  leafApiOwnerSecretName: 'leaf/api-owner',
  growerSecretPrefix: 'leaf/cnhi/',
  maxConcurrency: 2,
  maxAttempts: 5,
  recordConcurrency: 1,
  consumerTimeoutSeconds: 300,
  retryBaseDelaySeconds: 10,
  retryMaxDelaySeconds: 900,
  logRetentionDays: RetentionDays.ONE_MONTH,
  bundleAwsSdk: true,
  auditSchedule: 'rate(1 day)',
  auditRequestsPerMinute: 200,
  leafRateLimitPerMinute: 1000,
  webhookSecretName: 'leaf/webhook',
};

/**
 * Limits of one request to Leaf. They are code, not context: the functions apply the same values
 * (functions/shared/leaf-limits.ts) and the timing checks below rely on them.
 */
export const leafRequestLimits = {
  timeout: Duration.millis(functionLeafLimits.defaultTimeoutMs),
  retryLimit: functionLeafLimits.retryLimit,
} as const;

/** Records per SQS batch handed to a consuming function. */
export const consumerBatchSize = 10;

/** Timeout of the audit function, which makes one Leaf call per invocation. */
export const auditTimeout = Duration.seconds(30);

/** A context value that cannot give a working deployment; thrown at synth time. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly given: unknown,
    requirement: string,
  ) {
    super(`${key} ${requirement} (given ${JSON.stringify(given)})`);
    this.name = 'ConfigError';
  }
}

// Secrets Manager's own rule for names; anything else would also widen the IAM resource.
const secretNamePattern = /^[A-Za-z0-9/_+=.@-]+$/;
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const retentionDays = Object.values(RetentionDays).filter(
  (days): days is RetentionDays => typeof days === 'number' && days !== RetentionDays.INFINITE,
);

const readString = (read: ContextReader, key: keyof ProvisionerConfig, fallback: string) => {
  const value = read(key) ?? fallback;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(key, value, 'must be a non-empty string');
  }

  return value.trim();
};

const readInteger = (
  read: ContextReader,
  key: keyof ProvisionerConfig,
  fallback: number,
  min: number,
  max: number,
) => {
  const raw = read(key) ?? fallback;
  // `cdk synth -c key=7` passes strings; cdk.json passes numbers.
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(key, raw, `must be an integer between ${min} and ${max}`);
  }

  return value;
};

const readBoolean = (read: ContextReader, key: keyof ProvisionerConfig, fallback: boolean) => {
  const raw = read(key) ?? fallback;
  if (raw === true || raw === 'true') {
    return true;
  }
  if (raw === false || raw === 'false') {
    return false;
  }
  throw new ConfigError(key, raw, 'must be true or false');
};

const readHttpsUrl = (read: ContextReader, key: keyof ProvisionerConfig, fallback: string) => {
  const value = readString(read, key, fallback);
  if (!URL.canParse(value) || new URL(value).protocol !== 'https:') {
    throw new ConfigError(key, value, 'must be an https URL');
  }

  return value;
};

const readRetention = (read: ContextReader) => {
  const days = readInteger(read, 'logRetentionDays', defaultConfig.logRetentionDays, 1, 3653);
  if (!retentionDays.includes(days)) {
    throw new ConfigError('logRetentionDays', days, `must be one of ${retentionDays.join(', ')}`);
  }

  return days as RetentionDays;
};

const readGrowerSecretPrefix = (read: ContextReader) => {
  const prefix = readString(read, 'growerSecretPrefix', defaultConfig.growerSecretPrefix);
  if (!secretNamePattern.test(prefix) || !prefix.endsWith('/') || prefix.startsWith('/')) {
    throw new ConfigError(
      'growerSecretPrefix',
      prefix,
      'must be a secret name prefix of letters, digits and /_+=.@- that ends with / and does not start with it',
    );
  }

  return prefix;
};

const readOwnerSecretName = (read: ContextReader, growerSecretPrefix: string) => {
  const name = readString(read, 'leafApiOwnerSecretName', defaultConfig.leafApiOwnerSecretName);
  if (!secretNamePattern.test(name) || name.length > 512) {
    throw new ConfigError(
      'leafApiOwnerSecretName',
      name,
      'must be a secret name of at most 512 letters, digits and /_+=.@-',
    );
  }
  if (name.startsWith(growerSecretPrefix)) {
    throw new ConfigError(
      'leafApiOwnerSecretName',
      name,
      `must not lie under growerSecretPrefix ${JSON.stringify(growerSecretPrefix)}`,
    );
  }

  return name;
};

const readAlarmEmail = (read: ContextReader) => {
  const raw = read('alarmEmail');
  if (raw === undefined || raw === null || raw === '') {
    return undefined;
  }
  if (typeof raw !== 'string' || !emailPattern.test(raw.trim())) {
    throw new ConfigError('alarmEmail', raw, 'must be an e-mail address');
  }

  return raw.trim();
};

// EventBridge's two forms; a rate takes the singular unit for 1 and the plural otherwise.
const ratePattern = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const cronPattern = /^cron\((\S+ ){5}\S+\)$/;
const minutesPerUnit: Readonly<Record<string, number>> = { minute: 1, hour: 60, day: 1440 };

const readAuditSchedule = (read: ContextReader) => {
  const schedule = readString(read, 'auditSchedule', defaultConfig.auditSchedule);
  const rate = ratePattern.exec(schedule);
  if (rate) {
    const [, count, unit] = rate as unknown as [string, string, string];
    const value = Number(count);
    const singular = unit.replace(/s$/, '');
    if (value < 1 || (value === 1) !== (unit === singular)) {
      throw new ConfigError('auditSchedule', schedule, 'must say rate(1 unit) or rate(N units)');
    }
    if (value * (minutesPerUnit[singular] ?? 0) < 15) {
      throw new ConfigError(
        'auditSchedule',
        schedule,
        'must not run more often than every 15 minutes',
      );
    }

    return schedule;
  }
  if (!cronPattern.test(schedule)) {
    throw new ConfigError(
      'auditSchedule',
      schedule,
      'must be an EventBridge rate(...) or cron(...) expression',
    );
  }

  return schedule;
};

const readWebhookSecretName = (
  read: ContextReader,
  growerSecretPrefix: string,
  ownerSecretName: string,
) => {
  const name = readString(read, 'webhookSecretName', defaultConfig.webhookSecretName);
  if (!secretNamePattern.test(name) || name.length > 512) {
    throw new ConfigError(
      'webhookSecretName',
      name,
      'must be a secret name of at most 512 letters, digits and /_+=.@-',
    );
  }
  if (name.startsWith(growerSecretPrefix) || name === ownerSecretName) {
    throw new ConfigError(
      'webhookSecretName',
      name,
      'must lie outside growerSecretPrefix and differ from leafApiOwnerSecretName',
    );
  }

  return name;
};

/** Worst time a function spends on Leaf when `rounds` requests run one after another. */
export const worstLeafTime = (rounds: number): Duration =>
  Duration.millis(
    rounds * (leafRequestLimits.retryLimit + 1) * leafRequestLimits.timeout.toMilliseconds(),
  );

const requireConsumerTimeout = (config: ProvisionerConfig) => {
  const rounds = Math.ceil(consumerBatchSize / config.recordConcurrency);
  const worst = worstLeafTime(rounds).toSeconds();
  if (config.consumerTimeoutSeconds <= worst) {
    throw new ConfigError(
      'consumerTimeoutSeconds',
      config.consumerTimeoutSeconds,
      `must exceed ${worst}, the seconds a batch of ${consumerBatchSize} records needs at ` +
        `recordConcurrency ${config.recordConcurrency} when every Leaf request times out ` +
        `(${leafRequestLimits.retryLimit + 1} attempts of ${leafRequestLimits.timeout.toMilliseconds()} ms)`,
    );
  }
};

/** Queues whose consumers share Leaf's rate limit: provisioning and deprovisioning. */
export const consumerQueues = 2;

/**
 * Leaf requests a minute one consumer execution environment may make: the limit less the audit's
 * share, split evenly over every environment both queues may run at once. Rounded down, so the
 * shares never add up to more than the limit.
 */
export const consumerLeafRequestsPerMinute = (
  config: Pick<
    ProvisionerConfig,
    'leafRateLimitPerMinute' | 'auditRequestsPerMinute' | 'maxConcurrency'
  >,
): number =>
  Math.floor(
    (config.leafRateLimitPerMinute - config.auditRequestsPerMinute) /
      (consumerQueues * config.maxConcurrency),
  );

const requireLeafShares = (config: ProvisionerConfig) => {
  if (config.auditRequestsPerMinute >= config.leafRateLimitPerMinute) {
    throw new ConfigError(
      'auditRequestsPerMinute',
      config.auditRequestsPerMinute,
      `must be below leafRateLimitPerMinute (${config.leafRateLimitPerMinute}), which the queue consumers share`,
    );
  }
  if (consumerLeafRequestsPerMinute(config) < 1) {
    throw new ConfigError(
      'maxConcurrency',
      config.maxConcurrency,
      `leaves each of the ${consumerQueues * config.maxConcurrency} consumer environments less ` +
        `than 1 Leaf request a minute (leafRateLimitPerMinute ${config.leafRateLimitPerMinute} ` +
        `less auditRequestsPerMinute ${config.auditRequestsPerMinute}); lower it`,
    );
  }
};

/**
 * Reads, validates and completes the configuration from CDK context. This is the only place
 * that reads context; an invalid value throws a {@link ConfigError} naming the key and the value.
 */
export const parseConfig = (read: ContextReader): ProvisionerConfig => {
  const growerSecretPrefix = readGrowerSecretPrefix(read);
  const retryBaseDelaySeconds = readInteger(
    read,
    'retryBaseDelaySeconds',
    defaultConfig.retryBaseDelaySeconds,
    0,
    43_200,
  );
  const config: ProvisionerConfig = {
    leafApiBaseUrl: readHttpsUrl(read, 'leafApiBaseUrl', defaultConfig.leafApiBaseUrl),
    leafApiOwnerSecretName: readOwnerSecretName(read, growerSecretPrefix),
    growerSecretPrefix,
    // Lambda accepts a maximum concurrency from 2 to 1000.
    maxConcurrency: readInteger(read, 'maxConcurrency', defaultConfig.maxConcurrency, 2, 1000),
    // SQS accepts a maxReceiveCount from 1 to 1000.
    maxAttempts: readInteger(read, 'maxAttempts', defaultConfig.maxAttempts, 1, 1000),
    recordConcurrency: readInteger(
      read,
      'recordConcurrency',
      defaultConfig.recordConcurrency,
      1,
      consumerBatchSize,
    ),
    consumerTimeoutSeconds: readInteger(
      read,
      'consumerTimeoutSeconds',
      defaultConfig.consumerTimeoutSeconds,
      1,
      900,
    ),
    retryBaseDelaySeconds,
    retryMaxDelaySeconds: readInteger(
      read,
      'retryMaxDelaySeconds',
      defaultConfig.retryMaxDelaySeconds,
      retryBaseDelaySeconds,
      43_200,
    ),
    logRetentionDays: readRetention(read),
    bundleAwsSdk: readBoolean(read, 'bundleAwsSdk', defaultConfig.bundleAwsSdk),
    alarmEmail: readAlarmEmail(read),
    auditSchedule: readAuditSchedule(read),
    auditRequestsPerMinute: readInteger(
      read,
      'auditRequestsPerMinute',
      defaultConfig.auditRequestsPerMinute,
      1,
      1000,
    ),
    leafRateLimitPerMinute: readInteger(
      read,
      'leafRateLimitPerMinute',
      defaultConfig.leafRateLimitPerMinute,
      2,
      1_000_000,
    ),
    webhookSecretName: readWebhookSecretName(
      read,
      growerSecretPrefix,
      readOwnerSecretName(read, growerSecretPrefix),
    ),
  };
  requireConsumerTimeout(config);
  requireLeafShares(config);

  return config;
};
