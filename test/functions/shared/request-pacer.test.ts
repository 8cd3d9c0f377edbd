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

  it('throws when the rate is not above zero', () => {
    // GIVEN
    const rate = 0;

    // WHEN / THEN
    expect(() => createRequestPacer(rate)).toThrow('requestsPerMinute must be above 0 (given 0)');
  });
});
