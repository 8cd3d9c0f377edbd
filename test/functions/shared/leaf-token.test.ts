import {
  type IssuedToken,
  LeafTokenCache,
  tokenExpiry,
} from '../../../functions/shared/leaf-token';
import { deferred, flushPromises } from '../../fixtures/deferred';

const minute = 60 * 1000;

/** An `issue` that hands out token-1, token-2, … each valid for `lifetimeMs` from `now()`. */
const issuer = (now: () => number, lifetimeMs = 60 * minute) => {
  let count = 0;

  return jest.fn(
    async (): Promise<IssuedToken> => ({
      token: `token-${++count}`,
      expiresAt: now() + lifetimeMs,
    }),
  );
};

const jwt = (claims: object): string =>
  ['{"alg":"HS256","typ":"JWT"}', JSON.stringify(claims)]
    .map((part) => Buffer.from(part).toString('base64url'))
    .concat('signature')
    .join('.');

describe('LeafTokenCache', () => {
  it('issues one token when many callers ask at once', async () => {
    // GIVEN
    const pending = deferred<IssuedToken>();
    const issue = jest.fn(() => pending.promise);
    const cache = new LeafTokenCache({ issue });

    // WHEN
    const tokens = Promise.all(Array.from({ length: 10 }, () => cache.get()));
    await flushPromises();
    pending.resolve({ token: 'token-1', expiresAt: Date.now() + 60 * minute });

    // THEN
    await expect(tokens).resolves.toEqual(Array(10).fill('token-1'));
    expect(issue).toHaveBeenCalledTimes(1);
    expect(cache.issued).toBe(1);
  });

  it('reuses the token when it is far from expiry', async () => {
    // GIVEN
    let clock = 0;
    const issue = issuer(() => clock);
    const cache = new LeafTokenCache({ issue, now: () => clock });
    await cache.get();

    // WHEN
    clock = 54 * minute + 59_999;
    const token = await cache.get();

    // THEN
    expect(token).toBe('token-1');
    expect(issue).toHaveBeenCalledTimes(1);
  });

  it('renews the token when it is within renewBeforeMs of expiry', async () => {
    // GIVEN
    let clock = 0;
    const issue = issuer(() => clock);
    const cache = new LeafTokenCache({ issue, now: () => clock });
    await cache.get();

    // WHEN
    clock = 55 * minute;
    const token = await cache.get();

    // THEN
    expect(token).toBe('token-2');
    expect(cache.issued).toBe(2);
  });

  it('renews the token when a custom renewBeforeMs is reached', async () => {
    // GIVEN
    let clock = 0;
    const issue = issuer(() => clock);
    const cache = new LeafTokenCache({ issue, now: () => clock, renewBeforeMs: 30 * minute });
    await cache.get();

    // WHEN
    clock = 30 * minute;
    const token = await cache.get();

    // THEN
    expect(token).toBe('token-2');
  });

  it('issues a new token when the current one is invalidated', async () => {
    // GIVEN
    const issue = issuer(Date.now);
    const cache = new LeafTokenCache({ issue });
    const stale = await cache.get();

    // WHEN
    cache.invalidate(stale);
    const token = await cache.get();

    // THEN
    expect(token).toBe('token-2');
    expect(issue).toHaveBeenCalledTimes(2);
  });

  it('keeps the newer token when an old one is invalidated', async () => {
    // GIVEN
    const issue = issuer(Date.now);
    const cache = new LeafTokenCache({ issue });
    const stale = await cache.get();
    cache.invalidate(stale);
    await cache.get();

    // WHEN
    cache.invalidate(stale);
    const token = await cache.get();

    // THEN
    expect(token).toBe('token-2');
    expect(issue).toHaveBeenCalledTimes(2);
  });

  it('renews once when callers holding the same stale token invalidate it together', async () => {
    // GIVEN
    const issue = issuer(Date.now);
    const cache = new LeafTokenCache({ issue });
    const stale = await cache.get();

    // WHEN
    const renewed = await Promise.all(
      Array.from({ length: 5 }, async () => {
        cache.invalidate(stale);

        return cache.get();
      }),
    );

    // THEN
    expect(renewed).toEqual(Array(5).fill('token-2'));
    expect(issue).toHaveBeenCalledTimes(2);
  });

  it('rejects every waiting caller when issuing fails', async () => {
    // GIVEN
    const issue = jest.fn(async (): Promise<IssuedToken> => {
      throw new Error('Leaf answered 503');
    });
    const cache = new LeafTokenCache({ issue });

    // WHEN
    const attempts = [cache.get(), cache.get()];

    // THEN
    await expect(attempts[0]).rejects.toThrow('Leaf answered 503');
    await expect(attempts[1]).rejects.toThrow('Leaf answered 503');
    expect(issue).toHaveBeenCalledTimes(1);
    expect(cache.issued).toBe(0);
  });

  it('tries again on the next get when issuing failed before', async () => {
    // GIVEN
    const issue = jest
      .fn<Promise<IssuedToken>, []>()
      .mockRejectedValueOnce(new Error('Leaf answered 503'))
      .mockResolvedValueOnce({ token: 'token-after', expiresAt: Date.now() + 60 * minute });
    const cache = new LeafTokenCache({ issue });
    await expect(cache.get()).rejects.toThrow('Leaf answered 503');

    // WHEN
    const token = await cache.get();

    // THEN
    expect(token).toBe('token-after');
    expect(issue).toHaveBeenCalledTimes(2);
  });
});

describe('tokenExpiry', () => {
  const now = Date.parse('2024-05-01T12:00:00.000Z');
  const fallbackMs = 24 * 60 * minute;

  it('reads the exp claim when the token is a JWT', () => {
    // GIVEN
    const exp = now / 1000 + 3600;

    // WHEN
    const expiresAt = tokenExpiry(jwt({ sub: 'api-owner', exp }), now, fallbackMs);

    // THEN
    expect(expiresAt).toBe(exp * 1000);
  });

  it.each([
    { case: 'the token is opaque', token: 'opaque-token-value' },
    { case: 'the payload is empty', token: 'header..signature' },
    { case: 'the payload is not base64 JSON', token: 'header.%%%.signature' },
    { case: 'the JWT has no exp', token: jwt({ sub: 'api-owner' }) },
    { case: 'exp is a string', token: jwt({ exp: '1714568400' }) },
    { case: 'the payload is JSON null', token: jwt(null as unknown as object) },
    { case: 'the payload is a JSON number', token: jwt(42 as unknown as object) },
  ])('falls back to the documented lifetime when $case', ({ token }) => {
    // GIVEN
    const expected = now + fallbackMs;

    // WHEN
    const expiresAt = tokenExpiry(token, now, fallbackMs);

    // THEN
    expect(expiresAt).toBe(expected);
  });
});
