import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { PermanentError, TransientError } from './errors';
import type { ApiOwner } from './leaf-client';

const apiOwnerSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });

/** How long the API-owner account is kept before it is read again (password rotation). */
const cacheSeconds = 300;

/**
 * Reads Leaf's API-owner account from Secrets Manager, cached across invocations by Powertools.
 * The raw string is parsed here rather than with the provider's JSON transform, because a parse
 * error's message quotes the text it could not parse, and that text is the password.
 */
export const apiOwnerReader = (client: SecretsManagerClient, secretId: string) => {
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  // A value that did not parse is not kept: once an operator fixes the secret, the very next
  // request reads the fix, so redriving right away works instead of failing for the cache's life.
  let cachedIsInvalid = false;

  return async ({ fresh }: { fresh: boolean }): Promise<ApiOwner> => {
    let raw: unknown;
    try {
      raw = await provider.get(secretId, {
        maxAge: cacheSeconds,
        forceFetch: fresh || cachedIsInvalid,
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.name : '';
      if (cause === 'ResourceNotFoundException' || cause === 'AccessDeniedException') {
        throw new PermanentError(
          'API_OWNER_SECRET_INVALID',
          `API-owner secret unreadable (${cause})`,
        );
      }
      throw new TransientError('AWS_UNAVAILABLE', 'API-owner secret could not be read', {
        errorType: cause || 'unknown',
      });
    }

    let value: unknown;
    try {
      value = typeof raw === 'string' ? JSON.parse(raw) : undefined;
    } catch {
      value = undefined;
    }
    const owner = apiOwnerSchema.safeParse(value);
    cachedIsInvalid = !owner.success;
    if (!owner.success) {
      throw new PermanentError(
        'API_OWNER_SECRET_INVALID',
        'API-owner secret must be JSON with a username and a password',
      );
    }

    return owner.data;
  };
};
