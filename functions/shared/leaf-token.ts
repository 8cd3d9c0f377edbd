/** A Leaf bearer token and the moment it stops working. */
export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: number;
}

export interface LeafTokenCacheOptions {
  /** Obtains a new token from Leaf; called at most once at a time. */
  readonly issue: () => Promise<IssuedToken>;
  /** Renew this long before the token expires, so no request carries a token about to lapse. */
  readonly renewBeforeMs?: number;
  readonly now?: () => number;
}

/**
 * Holds Leaf's API-owner token for the life of an execution environment. However many records ask
 * at the same moment, one authentication is in flight; a 401 invalidates only the token that got
 * it, so records that fail together with the same stale token cause one renewal, not one each.
 */
export class LeafTokenCache {
  readonly #issue: () => Promise<IssuedToken>;
  readonly #renewBeforeMs: number;
  readonly #now: () => number;
  #current: IssuedToken | undefined;
  #pending: Promise<IssuedToken> | undefined;
  #issued = 0;

  constructor(options: LeafTokenCacheOptions) {
    this.#issue = options.issue;
    this.#renewBeforeMs = options.renewBeforeMs ?? 5 * 60 * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** How many tokens this cache has obtained from Leaf. */
  get issued(): number {
    return this.#issued;
  }

  async get(): Promise<string> {
    const current = this.#current;
    if (current && current.expiresAt - this.#renewBeforeMs > this.#now()) {
      return current.token;
    }
    this.#pending ??= this.#issue()
      .then((issued) => {
        this.#issued += 1;
        this.#current = issued;

        return issued;
      })
      .finally(() => {
        this.#pending = undefined;
      });

    return (await this.#pending).token;
  }

  /** Forgets `token` if it is still the current one; a newer token is kept. */
  invalidate(token: string): void {
    if (this.#current?.token === token) {
      this.#current = undefined;
    }
  }
}

/**
 * Reads a JWT's `exp` claim without verifying it (Leaf verifies; we only plan renewal). Falls back
 * to `fallbackMs` from now when the token is not a JWT or has no usable claim.
 */
export const tokenExpiry = (token: string, now: number, fallbackMs: number): number => {
  try {
    const payload = token.split('.')[1];
    const claims: unknown =
      payload && JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const exp = (claims as { exp?: unknown } | undefined)?.exp;
    if (typeof exp === 'number' && Number.isFinite(exp)) {
      return exp * 1000;
    }
  } catch {
    // Not a JWT: plan with the documented lifetime instead.
  }

  return now + fallbackMs;
};
