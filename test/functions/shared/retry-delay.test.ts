import fc from 'fast-check';
import { type RetryDelayPolicy, retryDelaySeconds } from '../../../functions/shared/retry-delay';

const policy: RetryDelayPolicy = { baseSeconds: 10, maxSeconds: 900 };
const lowest = () => 0;
const highest = () => 1;

describe('retryDelaySeconds', () => {
  it.each([
    { receiveCount: 1, low: 5, high: 10 },
    { receiveCount: 2, low: 10, high: 20 },
    { receiveCount: 3, low: 20, high: 40 },
    { receiveCount: 6, low: 160, high: 320 },
  ])(
    'waits $low to $high seconds when the delivery is number $receiveCount',
    ({ receiveCount, low, high }) => {
      // GIVEN
      const count = receiveCount;

      // WHEN
      const shortest = retryDelaySeconds(count, policy, undefined, lowest);
      const longest = retryDelaySeconds(count, policy, undefined, highest);

      // THEN
      expect([shortest, longest]).toEqual([low, high]);
    },
  );

  it('caps the delay when doubling would pass maxSeconds', () => {
    // GIVEN
    const receiveCount = 8;

    // WHEN
    const delays = [lowest, highest].map((random) =>
      retryDelaySeconds(receiveCount, policy, undefined, random),
    );

    // THEN
    expect(delays).toEqual([450, 900]);
  });

  it('stops doubling after twenty deliveries when the cap is out of reach', () => {
    // GIVEN
    const receiveCount = 10_000;

    // WHEN
    const delay = retryDelaySeconds(
      receiveCount,
      { baseSeconds: 1, maxSeconds: 2 ** 30 },
      0,
      highest,
    );

    // THEN
    expect(delay).toBe(2 ** 20);
  });

  it('treats a receive count below one as the first delivery', () => {
    // GIVEN
    const receiveCount = 0;

    // WHEN
    const delay = retryDelaySeconds(receiveCount, policy, undefined, highest);

    // THEN
    expect(delay).toBe(10);
  });

  it('waits at least Retry-After when Leaf asks for longer than the backoff', () => {
    // GIVEN
    const retryAfterSeconds = 120;

    // WHEN
    const delay = retryDelaySeconds(1, policy, retryAfterSeconds, highest);

    // THEN
    expect(delay).toBe(120);
  });

  it('keeps the backoff when Retry-After is shorter', () => {
    // GIVEN
    const retryAfterSeconds = 3;

    // WHEN
    const delay = retryDelaySeconds(4, policy, retryAfterSeconds, lowest);

    // THEN
    expect(delay).toBe(40);
  });

  it('caps Retry-After at maxSeconds when Leaf asks for longer', () => {
    // GIVEN
    const retryAfterSeconds = 7_200;

    // WHEN
    const delay = retryDelaySeconds(1, policy, retryAfterSeconds, lowest);

    // THEN
    expect(delay).toBe(900);
  });

  it('rounds to whole seconds when the jitter falls between them', () => {
    // GIVEN
    const random = () => 0.33;

    // WHEN
    const delay = retryDelaySeconds(1, policy, undefined, random);

    // THEN
    expect(delay).toBe(7);
  });

  it('returns zero when the base delay is zero', () => {
    // GIVEN
    const instant = { baseSeconds: 0, maxSeconds: 900 };

    // WHEN
    const delay = retryDelaySeconds(5, instant, undefined, highest);

    // THEN
    expect(delay).toBe(0);
  });

  it('stays within the cap and above Retry-After when inputs are arbitrary', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 10_000 }),
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 0, max: 43_200 }),
        fc.option(fc.integer({ min: 0, max: 86_400 }), { nil: undefined }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (receiveCount, baseSeconds, extra, retryAfter, random) => {
          // GIVEN
          const bounds = { baseSeconds, maxSeconds: Math.min(43_200, baseSeconds + extra) };

          // WHEN
          const delay = retryDelaySeconds(receiveCount, bounds, retryAfter, () => random);

          // THEN
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(Math.min(retryAfter ?? 0, bounds.maxSeconds));
          expect(delay).toBeLessThanOrEqual(bounds.maxSeconds);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
