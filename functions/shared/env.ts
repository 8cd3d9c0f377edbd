import { envNames } from './env-names';
import { leafRequestLimits } from './leaf-limits';

type Env = Readonly<Record<string, string | undefined>>;

/** Configuration shared by every function that calls Leaf. */
export interface LeafConfig {
  readonly leafApiBaseUrl: string;
  readonly leafApiOwnerSecretId: string;
  readonly leafRequestTimeoutMs: number;
  readonly statusTableName: string;
}

/** Configuration of a function fed by a queue (provision and deprovision). */
export interface ConsumerConfig extends LeafConfig {
  readonly sourceQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly maxAttempts: number;
  readonly retryBaseDelaySeconds: number;
  readonly retryMaxDelaySeconds: number;
  readonly recordConcurrency: number;
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
