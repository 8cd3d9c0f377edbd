import { setTimeout as sleep } from 'node:timers/promises';

/** Waits for the next free slot; slots are spaced evenly, whatever the concurrency. */
export type RequestPacer = () => Promise<void>;

/**
 * Spaces requests `60 000 / requestsPerMinute` ms apart, so a long run never bursts: Leaf's limit
 * (about 1000 a minute, per API owner) is shared with the provisioning functions running beside it.
 */
export const createRequestPacer = (
  requestsPerMinute: number,
  now: () => number = Date.now,
): RequestPacer => {
  if (!(Number.isFinite(requestsPerMinute) && requestsPerMinute > 0)) {
    throw new RangeError(`requestsPerMinute must be above 0 (given ${requestsPerMinute})`);
  }
  const intervalMs = 60_000 / requestsPerMinute;
  let next = Number.NEGATIVE_INFINITY;

  return async () => {
    const slot = Math.max(now(), next);
    next = slot + intervalMs;
    const wait = slot - now();
    if (wait > 0) {
      await sleep(wait);
    }
  };
};
