import { z } from 'zod';
import type { CredentialInput, Provider } from './types';

const secretField = z
  .string({ error: 'must be a non-empty string' })
  .refine((value) => value.trim().length > 0, { error: 'must be a non-empty string' });

const environment = z.enum(['STAGE', 'PRODUCTION'], { error: 'must be STAGE or PRODUCTION' });

const cnhiBody = z.object(
  {
    clientId: secretField,
    clientSecret: secretField,
    subscriptionKey: secretField,
    refreshToken: secretField,
    clientEnvironment: environment,
  },
  { error: 'must be a JSON object' },
);

// Leaf documents clientEnvironment as optional for FieldOps, defaulting to STAGE.
const fieldOpsBody = cnhiBody.extend({
  clientEnvironment: environment.nullish().transform((value) => value ?? 'STAGE'),
});

const schemas = { cnhi: cnhiBody, 'cnhi-fieldops': fieldOpsBody } as const;

/** Outcome of reading a credential POST body. */
export type CredentialBodyResult =
  | { readonly ok: true; readonly value: CredentialInput }
  | { readonly ok: false; readonly message: string };

/**
 * Parses and validates a credential POST body for a provider. Messages name fields only, never
 * values, because every value here is a secret.
 */
export const parseCredentialBody = (provider: Provider, text: string): CredentialBodyResult => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: 'body: must be JSON' };
  }
  const result = schemas[provider].safeParse(json);
  if (!result.success) {
    const message = result.error.issues
      .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
      .join('; ');

    return { ok: false, message };
  }

  return { ok: true, value: result.data };
};
