import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { signJwt, verifyJwt } from './jwt';
import type { ApiOwner } from './types';

/** Outcome of checking an `Authorization` header. */
export type TokenCheck =
  | { readonly ok: true; readonly username: string }
  | { readonly ok: false; readonly reason: 'missing' | 'invalid' | 'expired' };

const dayMs = 24 * 60 * 60 * 1000;
// Leaf documents these lifetimes for rememberMe false and true.
const defaultTtlMs = dayMs;
const rememberMeTtlMs = 30 * dayMs;
const pruneThreshold = 1000;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Issues and checks API-owner tokens: HS256 JWTs signed with a key drawn at start-up. */
export class TokenIssuer {
  readonly #key = randomBytes(32);
  readonly #owners: readonly ApiOwner[];
  readonly #ttlOverrideMs: number | undefined;
  // Tokens are also tracked here so expireAll() can revoke them and expiry is exact to the
  // millisecond, while the `exp` claim (whole seconds, rounded down) never promises more.
  readonly #live = new Map<string, number>();

  constructor(owners: readonly ApiOwner[], ttlOverrideSeconds?: number) {
    this.#owners = owners;
    this.#ttlOverrideMs = ttlOverrideSeconds === undefined ? undefined : ttlOverrideSeconds * 1000;
  }

  /** True when the username and password belong to a configured API owner. */
  isOwner(username: string, password: string): boolean {
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    const given = digest(`${username}\u0000${password}`);

    return this.#owners.some((owner) =>
      timingSafeEqual(given, digest(`${owner.username}\u0000${owner.password}`)),
    );
  }

  /** Signs a new token for `username`. */
  issue(username: string, rememberMe: boolean): string {
    const now = Date.now();
    const expiresAt = now + (this.#ttlOverrideMs ?? (rememberMe ? rememberMeTtlMs : defaultTtlMs));
    const jti = randomUUID();
    this.#prune(now);
    this.#live.set(jti, expiresAt);

    return signJwt(
      {
        sub: username,
        auth: 'ROLE_USER',
        jti,
        iat: Math.floor(now / 1000),
        exp: Math.floor(expiresAt / 1000),
      },
      this.#key,
    );
  }

  /** Checks a `Bearer` header: signature, expiry and revocation. */
  check(authorization: string | undefined): TokenCheck {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (match === null) {
      return { ok: false, reason: 'missing' };
    }
    const claims = verifyJwt(match[1] as string, this.#key);
    if (claims === undefined) {
      return { ok: false, reason: 'invalid' };
    }
    const expiresAt = this.#live.get(claims.jti);
    if (expiresAt === undefined || Date.now() >= expiresAt) {
      return { ok: false, reason: 'expired' };
    }

    return { ok: true, username: claims.sub };
  }

  /** Makes every token issued so far invalid. */
  expireAll(): void {
    this.#live.clear();
  }

  #prune(now: number): void {
    if (this.#live.size < pruneThreshold) {
      return;
    }
    for (const [jti, expiresAt] of this.#live) {
      if (now >= expiresAt) {
        this.#live.delete(jti);
      }
    }
  }
}
