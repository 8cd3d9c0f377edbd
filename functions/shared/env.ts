import { envNames } from './env-names';
import { leafRequestLimits } from './leaf-limits';

type Env = Readonly<Record<string, string | undefined>>;

/** Configuration shared by every function that calls Leaf. */
export interface LeafConfig {
  readonly leafApiBaseUrl: string;
  readonly leafApiOwnerSecretId: string;
  readonly leafRequestTimeoutMs: number;
  readonly statusTableName: string;
  /** This execution environment's share of Leaf's rate limit; undefined: unpaced. */
  readonly leafRequestsPerMinute?: number;
}

/** Configuration of a function fed by a queue (provision and deprovision). */
export interface ConsumerConfig extends LeafConfig {
  readonly sourceQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly maxAttempts: number;
  readonly retryBaseDelaySeconds: number;
  readonly retryMaxDelaySeconds: number;
  readonly recordConcurrency: number;
  /** The EventBridge bus every request's outcome is published to. */
  readonly outcomeEventBusName: string;
}

export interface ProvisionConfig extends ConsumerConfig {
  readonly growerSecretPrefix: string;
}

/** Raised at cold start when the deployment left a variable out: nothing can work without it. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

const readString = (env: Env, name: string, fallback?: string): string => {
  const value = env[name]?.trim() || fallback;
  if (!value) {
    throw new ConfigurationError(`environment variable ${name} is required`);
  }

  return value;
};

const readInteger = (env: Env, name: string, fallback: number, min: number, max: number) => {
  const raw = env[name]?.trim();
  const value = raw ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(
      `environment variable ${name} must be an integer from ${min} to ${max} (given ${raw})`,
    );
  }

  return value;
};

export const readLeafConfig = (env: Env): LeafConfig => ({
  leafApiBaseUrl: readString(env, envNames.leafApiBaseUrl),
  leafApiOwnerSecretId: readString(env, envNames.leafApiOwnerSecretId),
  leafRequestTimeoutMs: readInteger(
    env,
    envNames.leafRequestTimeoutMs,
    leafRequestLimits.defaultTimeoutMs,
    100,
    60_000,
  ),
  statusTableName: readString(env, envNames.statusTableName),
  leafRequestsPerMinute: env[envNames.leafRequestsPerMinute]?.trim()
    ? readInteger(env, envNames.leafRequestsPerMinute, 0, 1, 1_000_000)
    : undefined,
});

export const readConsumerConfig = (env: Env): ConsumerConfig => {
  const config = {
    ...readLeafConfig(env),
    sourceQueueUrl: readString(env, envNames.sourceQueueUrl),
    deadLetterQueueUrl: readString(env, envNames.deadLetterQueueUrl),
    maxAttempts: readInteger(env, envNames.maxAttempts, 5, 1, 1000),
    // SQS caps a message's visibility timeout at 12 hours.
    retryBaseDelaySeconds: readInteger(env, envNames.retryBaseDelaySeconds, 10, 0, 43_200),
    retryMaxDelaySeconds: readInteger(env, envNames.retryMaxDelaySeconds, 900, 0, 43_200),
    recordConcurrency: readInteger(env, envNames.recordConcurrency, 10, 1, 100),
    outcomeEventBusName: readString(env, envNames.outcomeEventBusName),
  };
  if (config.retryMaxDelaySeconds < config.retryBaseDelaySeconds) {
    throw new ConfigurationError(
      `${envNames.retryMaxDelaySeconds} (${config.retryMaxDelaySeconds}) is below ${envNames.retryBaseDelaySeconds} (${config.retryBaseDelaySeconds})`,
    );
  }

  return config;
};

export const readProvisionConfig = (env: Env): ProvisionConfig => ({
  ...readConsumerConfig(env),
  growerSecretPrefix: readString(env, envNames.growerSecretPrefix, 'leaf/cnhi/'),
});

/** Configuration of the webhook receiver. It never calls Leaf, so it gets no Leaf settings. */
export interface WebhookConfig {
  readonly statusTableName: string;
  readonly webhookSecretId: string;
  /** Where `DriftFound` events go; none are published without it. */
  readonly outcomeEventBusName?: string;
}

/** Configuration of the scheduled audit, which reads every recorded credential back from Leaf. */
export interface ScheduledAuditConfig extends LeafConfig {
  readonly auditRequestsPerMinute: number;
  readonly auditConcurrency: number;
  /** Where `DriftFound` events go; none are published without it. */
  readonly outcomeEventBusName?: string;
}

export const readWebhookConfig = (env: Env): WebhookConfig => ({
  statusTableName: readString(env, envNames.statusTableName),
  webhookSecretId: readString(env, envNames.webhookSecretId),
  outcomeEventBusName: env[envNames.outcomeEventBusName]?.trim() || undefined,
});

export const readScheduledAuditConfig = (env: Env): ScheduledAuditConfig => ({
  ...readLeafConfig(env),
  // Leaf's draft limit is 1000 a minute for the whole API owner, provisioning included.
  auditRequestsPerMinute: readInteger(env, envNames.auditRequestsPerMinute, 200, 1, 1000),
  auditConcurrency: readInteger(env, envNames.auditConcurrency, 4, 1, 50),
  outcomeEventBusName: env[envNames.outcomeEventBusName]?.trim() || undefined,
});

/** Configuration of the secret-change trigger, which only enqueues provisioning requests. */
export interface SecretChangeConfig {
  readonly provisioningQueueUrl: string;
  readonly growerSecretPrefix: string;
}

export const readSecretChangeConfig = (env: Env): SecretChangeConfig => ({
  provisioningQueueUrl: readString(env, envNames.provisioningQueueUrl),
  growerSecretPrefix: readString(env, envNames.growerSecretPrefix, 'leaf/cnhi/'),
});
