import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from './env';
import { TransientError } from './errors';
import { isLeafSignature } from './webhook-signature';

/** Reads the webhook key; `fresh` bypasses the cache. */
export type WebhookSecretReader = (options: { fresh: boolean }) => Promise<string>;

/** Checks Leaf's signature of a raw body. */
export type SignatureVerifier = (body: Uint8Array, header: string | undefined) => Promise<boolean>;

const cacheSeconds = 300;
// A bad signature may mean the key was rotated, or just an attacker; re-reading the secret at most
// once a minute picks up a rotation without letting forged calls drive Secrets Manager's bill.
const refreshIntervalMs = 60_000;

/**
 * Reads the key Leaf signs webhook calls with, cached across invocations. The secret's
 * `SecretString` is the key itself, exactly as registered with Leaf. Errors never quote the value.
 */
export const webhookSecretReader = (
  client: SecretsManagerClient,
  secretId: string,
): WebhookSecretReader => {
  const provider = new SecretsProvider({ awsSdkV3Client: client });

  return async ({ fresh }) => {
    let value: unknown;
    try {
      value = await provider.get(secretId, { maxAge: cacheSeconds, forceFetch: fresh });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.name : '';
      if (cause === 'ResourceNotFoundException' || cause === 'AccessDeniedException') {
        throw new ConfigurationError(`webhook secret unreadable (${cause})`);
      }
      throw new TransientError('AWS_UNAVAILABLE', 'webhook secret could not be read', {
        errorType: cause || 'unknown',
      });
    }
    if (typeof value !== 'string' || value.trim() === '') {
      throw new ConfigurationError('webhook secret must be a non-empty SecretString');
    }

    return value;
  };
};

/**
 * A verifier that tries the cached key, then, after a mismatch, the current one, at most once
 * per {@link refreshIntervalMs}, so a rotated key is accepted within a minute.
 */
export const createSignatureVerifier = (
  readSecret: WebhookSecretReader,
  now: () => number = Date.now,
): SignatureVerifier => {
  let lastRefresh = Number.NEGATIVE_INFINITY;

  return async (body, header) => {
    if (!header) {
      return false;
    }
    if (isLeafSignature(body, header, await readSecret({ fresh: false }))) {
      return true;
    }
    if (now() - lastRefresh < refreshIntervalMs) {
      return false;
    }
    lastRefresh = now();

    return isLeafSignature(body, header, await readSecret({ fresh: true }));
  };
};
