import { createRequestPacer } from '../../../functions/shared/request-pacer';

describe('createRequestPacer', () => {
  it('spaces slots 60 000 / requestsPerMinute ms apart when callers arrive together', async () => {
    // GIVEN
    const pace = createRequestPacer(1_200);
    const started = performance.now();
    const slots: number[] = [];

    // WHEN
    await Promise.all(
      Array.from({ length: 4 }, () => pace().then(() => slots.push(performance.now() - started))),
    );

    // THEN
    // 50 ms apart: the first at once, the fourth 150 ms later.
    expect(slots[0]).toBeLessThan(40);
    expect(slots[3]).toBeGreaterThanOrEqual(145);
  });

  it('refuses a slot later than latestStart and leaves it free for the next caller', async () => {
    // GIVEN a clock that stands still and one slot taken: the next is 1 s away
    const clock = 1_000_000;
    const pace = createRequestPacer(60, () => clock);
    await pace();

    // WHEN a caller may start no later than half a second from now
    const refused = await pace({ latestStart: clock + 500 });

    // THEN it is refused, and the slot it did not take is still the next one
    expect(refused).toBe(false);
    expect(pace.waitMs()).toBe(1_000);
  });

  it('tells how long a request asked now would wait', async () => {
    // GIVEN 600 a minute: 100 ms apart, on a clock that stands still
    const pace = createRequestPacer(600, () => 0);

    // WHEN two slots are taken
    const waitBefore = pace.waitMs();
    await pace();
    await pace();

    // THEN the next request would wait two intervals
    expect(waitBefore).toBe(0);
    expect(pace.waitMs()).toBe(200);
  });

  it('throws when the rate is not above zero', () => {
    // GIVEN
    const rate = 0;

    // WHEN / THEN
    expect(() => createRequestPacer(rate)).toThrow('requestsPerMinute must be above 0 (given 0)');
  });
});
