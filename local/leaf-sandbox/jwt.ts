import { createHmac, timingSafeEqual } from 'node:crypto';

/** Claims the sandbox puts in and reads from its tokens. */
export interface TokenClaims {
  readonly sub: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly auth: string;
}

const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

const sign = (input: string, key: Buffer): Buffer =>
  createHmac('sha256', key).update(input).digest();

const isClaims = (value: unknown): value is TokenClaims => {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const claims = value as Record<string, unknown>;

  return (
    typeof claims.sub === 'string' &&
    typeof claims.jti === 'string' &&
    typeof claims.exp === 'number' &&
    typeof claims.iat === 'number'
  );
};

/** Encodes and signs an HS256 JWT. */
export const signJwt = (claims: TokenClaims, key: Buffer): string => {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const input = `${header}.${payload}`;

  return `${input}.${sign(input, key).toString('base64url')}`;
};

/** Returns the claims of an HS256 JWT signed with `key`, or undefined if it is not one. */
export const verifyJwt = (token: string, key: Buffer): TokenClaims | undefined => {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return undefined;
  }
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const expected = sign(`${encodedHeader}.${encodedPayload}`, key);
  const given = Buffer.from(encodedSignature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return undefined;
  }

  try {
    const parsedHeader: unknown = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString());
    // Checked after the signature, but still checked: a token must never pick its own algorithm.
    if ((parsedHeader as { alg?: unknown } | null)?.alg !== 'HS256') {
      return undefined;
    }
    const claims: unknown = JSON.parse(Buffer.from(encodedPayload, 'base64url').toString());

    return isClaims(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
};
