import { isHTTPError, isTimeoutError } from 'ky';
import { PermanentError, type ProvisionerError, TransientError } from './errors';

/** Where a Leaf call went, for messages: the method and the route, never the body or headers. */
export type LeafCallSite = {
  readonly method: string;
  readonly route: string;
};

const maxErrorBodyBytes = 4096;

/** Leaf's `errorKey`, if the body is problem JSON; reduced to an identifier so nothing echoes. */
const errorKeyOf = async (response: Response): Promise<string | undefined> => {
  try {
    const text = (await response.text()).slice(0, maxErrorBodyBytes);
    const body: unknown = JSON.parse(text);
    const key = (body as { errorKey?: unknown } | null)?.errorKey;

    return typeof key === 'string' && /^[\w.-]{1,64}$/.test(key) ? key : undefined;
  } catch {
    // HTML, empty or cut-off bodies are common on gateways' 5xx: the status says enough.
    return undefined;
  }
};

/**
 * Seconds from a `Retry-After` header, in either of its two forms: whole seconds or an HTTP date.
 * Anything else (negative, fractional, hex) is ignored rather than guessed at.
 */
export const parseRetryAfter = (header: string | null, now = Date.now()): number | undefined => {
  const value = header?.trim();
  if (!value) {
    return undefined;
  }
  if (/^\d+$/.test(value)) {
    return Number(value);
  }
  // An HTTP date names its weekday and month; a bare number that Date.parse accepts is not one.
  const date = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;

  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
};

// By name, not `instanceof`: fetch's errors come from Node's own realm, which differs from the
// code's under jest's sandbox (jestjs/jest#2549), as ky's own guards allow for.
const nameOf = (error: unknown): unknown => (error as { name?: unknown } | null)?.name;

const isAbort = (error: unknown): boolean =>
  nameOf(error) === 'TimeoutError' || nameOf(error) === 'AbortError';

/**
 * Whether an HTTP attempt went out and got no answer that says what Leaf did with it: a timeout,
 * a refused, reset or cut connection, or a gateway's 504. A write in that state may still land.
 */
export const isUnanswered = (error: unknown): boolean =>
  isTimeoutError(error) ||
  isAbort(error) ||
  error instanceof TypeError ||
  nameOf(error) === 'TypeError' ||
  (isHTTPError(error) && error.response.status === 504);

/**
 * Maps whatever a Leaf call threw to a failure class. The status decides first, the body only
 * adds Leaf's error key. The HTTP client's error is deliberately not kept as `cause`: it carries
 * the request, whose body is the grower's credentials.
 */
export const classifyLeafError = async (
  error: unknown,
  site: LeafCallSite,
): Promise<ProvisionerError> => {
  const where = `${site.method} ${site.route}`;
  // Marked here, once, for whoever must know whether the request may still take effect.
  const mark = isUnanswered(error) ? { unanswered: true } : {};

  if (isHTTPError(error)) {
    const { status } = error.response;
    const retryAfterSeconds = parseRetryAfter(error.response.headers.get('retry-after'));
    const errorKey = await errorKeyOf(error.response);
    const details = { status, method: site.method, route: site.route, errorKey, ...mark };
    const message = `Leaf answered ${status} to ${where}${errorKey ? ` (${errorKey})` : ''}`;

    if (status === 429) {
      return new TransientError('LEAF_RATE_LIMITED', message, { ...details, retryAfterSeconds });
    }
    if (status === 408 || status >= 500) {
      return new TransientError('LEAF_SERVER_ERROR', message, { ...details, retryAfterSeconds });
    }
    // A conflict means someone else changed the credential meanwhile: reading again resolves it.
    if (status === 409) {
      return new TransientError('LEAF_CONFLICT', message, details);
    }
    if (status === 400 || status === 422) {
      return new PermanentError('LEAF_BAD_REQUEST', message, details);
    }
    if (status === 401) {
      return new PermanentError('LEAF_UNAUTHORIZED', message, details);
    }
    if (status === 403) {
      return new PermanentError('LEAF_FORBIDDEN', message, details);
    }
    if (status === 404) {
      return new PermanentError('LEAF_USER_NOT_FOUND', message, details);
    }
    if (status >= 400) {
      return new PermanentError('LEAF_REJECTED', message, details);
    }

    return new TransientError('LEAF_INVALID_RESPONSE', message, details);
  }
  if (isTimeoutError(error) || isAbort(error)) {
    return new TransientError('LEAF_TIMEOUT', `Leaf did not answer ${where} in time`, {
      ...site,
      ...mark,
    });
  }
  if (error instanceof SyntaxError || nameOf(error) === 'SyntaxError') {
    return new TransientError(
      'LEAF_INVALID_RESPONSE',
      `Leaf sent unreadable JSON to ${where}`,
      site,
    );
  }
  // fetch reports refused, reset and half-closed connections as a TypeError.
  if (error instanceof TypeError || nameOf(error) === 'TypeError') {
    return new TransientError('LEAF_CONNECTION_FAILED', `connection to Leaf failed on ${where}`, {
      ...site,
      ...mark,
    });
  }
  const kind = error instanceof Error ? error.name : typeof error;

  return new TransientError('INTERNAL_ERROR', `unexpected ${kind} on ${where}`, {
    ...site,
    errorType: kind,
  });
};

/**
 * Whether a failed Leaf write may still take effect: the request went out but no answer came back
 * ({@link isUnanswered}, as {@link classifyLeafError} marks it), so Leaf may apply it after the
 * caller gave up. A newer request for the same credential must not act until that write has had
 * time to land.
 */
export const mayStillLand = (failure: ProvisionerError): boolean => {
  const { method, unanswered } = failure.details;

  return unanswered === true && (method === 'POST' || method === 'DELETE');
};
