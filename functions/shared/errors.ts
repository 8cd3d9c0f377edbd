/**
 * Why a request failed, as stored in the status record, attached to dead-lettered messages and
 * logged. Each code belongs to exactly one class: permanent codes go to the dead-letter queue at
 * once, transient codes are retried with growing delays until the attempts run out.
 */
export const permanentReasons = [
  'MESSAGE_NOT_JSON',
  'MESSAGE_INVALID',
  'MESSAGE_TOO_LARGE',
  'INLINE_CREDENTIALS',
  'UNKNOWN_PROVIDER',
  'INVALID_LEAF_USER_ID',
  'INVALID_REQUESTED_AT',
  'SECRET_OUTSIDE_PREFIX',
  'SECRET_IS_API_OWNER',
  'SECRET_NOT_FOUND',
  'SECRET_ACCESS_DENIED',
  'SECRET_NOT_JSON',
  'SECRET_BINARY',
  'SECRET_INVALID',
  'API_OWNER_SECRET_INVALID',
  'LEAF_AUTH_REJECTED',
  'LEAF_UNAUTHORIZED',
  'LEAF_FORBIDDEN',
  'LEAF_BAD_REQUEST',
  'LEAF_USER_NOT_FOUND',
  'LEAF_REJECTED',
] as const;

export const transientReasons = [
  'LEAF_RATE_LIMITED',
  'LEAF_SERVER_ERROR',
  'LEAF_TIMEOUT',
  'LEAF_CONNECTION_FAILED',
  'LEAF_CONFLICT',
  'LEAF_INVALID_RESPONSE',
  'AWS_UNAVAILABLE',
  'RECORD_BUSY',
  'NOT_ENOUGH_TIME',
  'INTERNAL_ERROR',
] as const;

export type PermanentReason = (typeof permanentReasons)[number];
export type TransientReason = (typeof transientReasons)[number];
export type ReasonCode = PermanentReason | TransientReason;

/** Details safe to log and store: ids, status codes and short keys, never a secret or a body. */
export type SafeDetails = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * Base of every failure the product reports. The message must be safe to log and store: it is
 * built from ids, status codes and reason codes only. A cause is kept only when it is known to
 * hold no secret (the HTTP client's own errors carry the request body, so they never become one).
 */
export abstract class ProvisionerError extends Error {
  abstract readonly retryable: boolean;
  readonly reason: ReasonCode;
  readonly details: SafeDetails;

  constructor(
    reason: ReasonCode,
    message: string,
    details: SafeDetails = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
    this.reason = reason;
    this.details = details;
  }
}

/** A failure no retry can fix until someone changes the input or the configuration. */
export class PermanentError extends ProvisionerError {
  readonly retryable = false;

  constructor(
    reason: PermanentReason,
    message: string,
    details?: SafeDetails,
    options?: ErrorOptions,
  ) {
    super(reason, message, details, options);
  }
}

/** A failure a later attempt may not meet: Leaf overloaded or slow, a lost connection. */
export class TransientError extends ProvisionerError {
  readonly retryable = true;
  /** Leaf's `Retry-After`, when it sent one; the retry waits at least this long. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    reason: TransientReason,
    message: string,
    details: SafeDetails & { retryAfterSeconds?: number } = {},
    options?: ErrorOptions,
  ) {
    super(reason, message, details, options);
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** True for the product's own errors, whatever realm or bundle they were created in. */
export const isProvisionerError = (error: unknown): error is ProvisionerError =>
  error instanceof ProvisionerError ||
  (error instanceof Error &&
    typeof (error as Partial<ProvisionerError>).reason === 'string' &&
    typeof (error as Partial<ProvisionerError>).retryable === 'boolean');

/**
 * Turns anything thrown into a ProvisionerError without copying its message, which may hold a
 * secret (an SDK or HTTP error can quote what it was sent). Only the error's type name survives.
 */
export const toProvisionerError = (error: unknown): ProvisionerError => {
  if (isProvisionerError(error)) {
    return error;
  }
  const kind = error instanceof Error ? error.name : typeof error;

  return new TransientError('INTERNAL_ERROR', `unexpected ${kind}`, { errorType: kind });
};
