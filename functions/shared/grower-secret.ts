import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { PermanentError, TransientError } from './errors';
import {
  type ClientEnvironment,
  clientEnvironments,
  defaultFieldOpsEnvironment,
  type Provider,
  providers,
} from './providers';

/** A grower's CNHI credentials, exactly what Leaf's credential endpoints take. */
export interface GrowerCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly subscriptionKey: string;
  readonly refreshToken: string;
  readonly clientEnvironment: ClientEnvironment;
}

export interface GrowerSecretPolicy {
  /** Secrets a message may name lie under this name prefix. */
  readonly prefix: string;
  /** The API-owner secret, which a message must never be able to name. */
  readonly apiOwnerSecretId: string;
}

const secretString = z.string().min(1).max(4096);

const storedCredentials = z.object({
  clientId: secretString,
  clientSecret: secretString,
  subscriptionKey: secretString,
  refreshToken: secretString,
  clientEnvironment: z.enum(clientEnvironments).optional(),
});

// Names may hold letters, digits and /_+=.@- (Secrets Manager's own rule); anything else, a `..`
// segment included, cannot be a grower secret and is refused before any AWS call.
const secretNamePattern = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const secretArnPattern = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:(.+)$/;

/** Whether a value has the shape of a secret's name or ARN, whatever secret it names. */
export const isSecretNameOrArn = (value: string): boolean =>
  secretNamePattern.test(secretName(value));

/** The secret's name, whether the message named it by name or by ARN. */
export const secretName = (secretId: string): string =>
  secretArnPattern.exec(secretId)?.[1] ?? secretId;

/**
 * Refuses a secret the message may not name. Identity and Access Management enforces the same
 * prefix in AWS; checking here as well gives the producer a precise reason instead of a denial.
 */
export const assertAllowedSecret = (secretId: string, policy: GrowerSecretPolicy): void => {
  const name = secretName(secretId);
  if (name === secretName(policy.apiOwnerSecretId) || secretId === policy.apiOwnerSecretId) {
    throw new PermanentError('SECRET_IS_API_OWNER', 'secretId names the Leaf API-owner secret');
  }
  if (
    !secretNamePattern.test(name) ||
    name.split('/').includes('..') ||
    !name.startsWith(policy.prefix)
  ) {
    throw new PermanentError(
      'SECRET_OUTSIDE_PREFIX',
      `secretId must name a secret under ${policy.prefix}`,
      { prefix: policy.prefix },
    );
  }
};

const readFailure = (error: unknown): Error => {
  const name = error instanceof Error ? error.name : 'UnknownError';
  switch (name) {
    case 'ResourceNotFoundException':
      return new PermanentError('SECRET_NOT_FOUND', 'grower secret not found');
    case 'AccessDeniedException':
    case 'AccessDenied':
      return new PermanentError('SECRET_ACCESS_DENIED', 'access to the grower secret is denied');
    case 'DecryptionFailure':
    case 'InvalidRequestException':
    case 'InvalidParameterException':
      return new PermanentError('SECRET_ACCESS_DENIED', `grower secret cannot be read (${name})`);
    default:
      // Throttling, internal errors and network trouble pass with time.
      return new TransientError('AWS_UNAVAILABLE', `Secrets Manager failed (${name})`, {
        errorType: name,
      });
  }
};

/**
 * Reads and validates a grower's credentials. Called once per request and never cached: the
 * values live only as long as the request that sends them to Leaf. Errors name the missing or
 * wrong field, never its value.
 */
export const readGrowerCredentials = async (
  client: SecretsManagerClient,
  secretId: string,
  provider: Provider,
  policy: GrowerSecretPolicy,
): Promise<GrowerCredentials> => {
  assertAllowedSecret(secretId, policy);

  let secret: { SecretString?: string; SecretBinary?: Uint8Array };
  try {
    secret = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  } catch (error) {
    throw readFailure(error);
  }
  if (secret.SecretString === undefined) {
    throw new PermanentError('SECRET_BINARY', 'grower secret is binary; a JSON string is required');
  }

  let value: unknown;
  try {
    value = JSON.parse(secret.SecretString);
  } catch {
    throw new PermanentError('SECRET_NOT_JSON', 'grower secret is not JSON');
  }

  const result = storedCredentials.safeParse(value);
  if (!result.success) {
    const fields = [
      ...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(root)')),
    ];
    throw new PermanentError('SECRET_INVALID', `grower secret is invalid at: ${fields.join(', ')}`);
  }

  const { clientEnvironment, ...rest } = result.data;
  if (!clientEnvironment && providers[provider].environmentRequired) {
    throw new PermanentError('SECRET_INVALID', 'grower secret is invalid at: clientEnvironment');
  }

  return { ...rest, clientEnvironment: clientEnvironment ?? defaultFieldOpsEnvironment };
};
