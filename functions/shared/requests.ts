import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { PermanentError, type PermanentReason } from './errors';
import { defaultProvider, isProvider, type Provider } from './providers';

/** What a queue message asks for. Provision names a secret; deprovision needs none. */
export type Operation = 'PROVISION' | 'DEPROVISION';

/** A validated request read from one queue message. */
export interface CredentialRequest {
  readonly operation: Operation;
  readonly messageId: string;
  readonly leafUserId: string;
  readonly provider: Provider;
  /** ISO 8601 in UTC; orders requests for the same user and provider. */
  readonly requestedAt: string;
  readonly correlationId?: string;
  /** Deliveries of this message so far, this one included. */
  readonly receiveCount: number;
  /** Provision only: name or ARN of the grower secret. */
  readonly secretId?: string;
}

/** The user and provider a message names, when it names them validly, even if it is bad otherwise. */
export interface RequestIdentity {
  readonly leafUserId: string;
  readonly provider: Provider;
  readonly requestedAt: string;
}

export type ParseResult =
  | { readonly ok: true; readonly request: CredentialRequest }
  | { readonly ok: false; readonly error: PermanentError; readonly identity?: RequestIdentity };

/** SQS's own limit for a message; anything larger was not written by a well-behaved producer. */
export const maxBodyBytes = 256 * 1024;

/** Requests dated further ahead than this are refused: they would block every later request. */
const maxClockSkewMs = 5 * 60 * 1000;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Key names that only ever hold credential values. Their presence means a producer put secrets on
// the queue, which the contract forbids: the message is refused and its body is never copied.
const credentialKeys = new Set(
  [
    'clientId',
    'clientSecret',
    'subscriptionKey',
    'refreshToken',
    'password',
    'apiKey',
    'clientKey',
  ].map((key) => key.toLowerCase()),
);

const isoDateTime = z.iso.datetime({ offset: true });
const correlationIdSchema = z
  .string()
  .regex(/^[\w.:/@+=-]{1,128}$/, 'letters, digits and ._:/@+=- only, at most 128');
const secretIdSchema = z.string().min(1).max(2048);

/**
 * The shape each non-secret contract field may have, valid request or not. Only values of that
 * shape are ever copied out of a body (into a dead letter): a value of another shape may be a
 * credential pasted into the wrong field. The secretId's shape is the secret name's
 * (grower-secret.ts).
 */
export const contractFieldShapes: Readonly<Record<string, (value: string) => boolean>> = {
  leafUserId: (value) => uuidPattern.test(value),
  provider: (value) => isProvider(value),
  // Dates only, with or without a zone: a copy keeps a refused date so its redrive is refused too.
  requestedAt: (value) => /^[\d:.+TZ -]{1,40}$/.test(value),
  correlationId: (value) => correlationIdSchema.safeParse(value).success,
};

// `client_secret` and `client-secret` are the same key to a producer. Deeper than any contract
// field, a body is taken as holding credentials: it could hide them, and it is never copied.
const holdsCredentials = (value: unknown, depth = 0): boolean => {
  if (value === null || typeof value !== 'object') {
    return false;
  }
  if (depth > 5) {
    return true;
  }

  return Object.entries(value).some(
    ([key, inner]) =>
      credentialKeys.has(key.toLowerCase().replace(/[_-]/g, '')) ||
      holdsCredentials(inner, depth + 1),
  );
};

const invalid = (reason: PermanentReason, message: string) => new PermanentError(reason, message);

const sentAt = (record: SQSRecord): string => {
  const sent = Number(record.attributes?.SentTimestamp);

  return new Date(Number.isFinite(sent) && sent > 0 ? sent : Date.now()).toISOString();
};

/**
 * Validates one queue message against the public contract. Each check maps to its own reason
 * code so an operator can tell a producer exactly what to fix; nothing of the body's values is
 * quoted in a message, since a bad body may hold anything.
 */
export const parseCredentialRequest = (record: SQSRecord, operation: Operation): ParseResult => {
  const fail = (error: PermanentError, identity?: RequestIdentity): ParseResult => ({
    ok: false,
    error,
    identity,
  });
  const body = record.body ?? '';

  if (Buffer.byteLength(body, 'utf8') > maxBodyBytes) {
    return fail(invalid('MESSAGE_TOO_LARGE', `message body is over ${maxBodyBytes} bytes`));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return fail(invalid('MESSAGE_NOT_JSON', 'message body is not JSON'));
  }
  if (holdsCredentials(parsed)) {
    return fail(
      invalid('INLINE_CREDENTIALS', 'message carries credential fields; name a secret instead'),
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return fail(invalid('MESSAGE_INVALID', 'message body is not a JSON object'));
  }
  const fields = parsed as Record<string, unknown>;

  const provider = fields.provider ?? defaultProvider;
  if (!isProvider(provider)) {
    return fail(invalid('UNKNOWN_PROVIDER', 'provider must be cnhi or cnhi-fieldops'));
  }
  if (typeof fields.leafUserId !== 'string') {
    return fail(invalid('MESSAGE_INVALID', 'leafUserId is required and must be a string'));
  }
  if (!uuidPattern.test(fields.leafUserId)) {
    return fail(invalid('INVALID_LEAF_USER_ID', 'leafUserId must be a UUID'));
  }
  const leafUserId = fields.leafUserId.toLowerCase();

  let requestedAt = sentAt(record);
  if (fields.requestedAt !== undefined) {
    const identity = { leafUserId, provider, requestedAt };
    if (!isoDateTime.safeParse(fields.requestedAt).success) {
      return fail(
        invalid('INVALID_REQUESTED_AT', 'requestedAt must be ISO 8601 with a zone'),
        identity,
      );
    }
    const time = Date.parse(fields.requestedAt as string);
    if (time > Date.now() + maxClockSkewMs) {
      return fail(invalid('INVALID_REQUESTED_AT', 'requestedAt lies in the future'), identity);
    }
    requestedAt = new Date(time).toISOString();
  }
  const identity = { leafUserId, provider, requestedAt };

  let correlationId: string | undefined;
  if (fields.correlationId !== undefined) {
    const result = correlationIdSchema.safeParse(fields.correlationId);
    if (!result.success) {
      return fail(invalid('MESSAGE_INVALID', 'correlationId is not a short id string'), identity);
    }
    correlationId = result.data;
  }

  let secretId: string | undefined;
  if (operation === 'PROVISION') {
    const result = secretIdSchema.safeParse(fields.secretId);
    if (!result.success) {
      return fail(
        invalid('MESSAGE_INVALID', 'secretId is required and must be a string'),
        identity,
      );
    }
    secretId = result.data;
  }

  const receiveCount = Number(record.attributes?.ApproximateReceiveCount);

  return {
    ok: true,
    request: {
      operation,
      messageId: record.messageId,
      leafUserId,
      provider,
      requestedAt,
      correlationId,
      receiveCount: Number.isInteger(receiveCount) && receiveCount > 0 ? receiveCount : 1,
      secretId,
    },
  };
};
