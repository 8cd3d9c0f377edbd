import { setTimeout as sleep } from 'node:timers/promises';

export interface PaceOptions {
  /**
   * Epoch milliseconds: a slot later than this is not taken and the call resolves false at once,
   * so a caller near its deadline gives up instead of waiting for a slot it cannot use.
   */
  readonly latestStart?: number;
}

/** Waits for the next free slot; slots are spaced evenly, whatever the concurrency. */
export interface RequestPacer {
  /** Takes the next free slot and waits for it; false when the slot would pass `latestStart`. */
  (options?: PaceOptions): Promise<boolean>;
  /** How long a request asking now would wait for its slot, in milliseconds. */
  readonly waitMs: () => number;
}

/**
 * Spaces requests `60 000 / requestsPerMinute` ms apart, so a long run never bursts: Leaf's limit
 * (about 1000 a minute, per API owner) is shared by every function that calls Leaf.
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

  const pace = async (options: PaceOptions = {}) => {
    const slot = Math.max(now(), next);
    // A refused slot stays free for the next caller: refusing must not slow anyone else down.
    if (options.latestStart !== undefined && slot > options.latestStart) {
      return false;
    }
    next = slot + intervalMs;
    const wait = slot - now();
    if (wait > 0) {
      await sleep(wait);
    }

    return true;
  };

  return Object.assign(pace, { waitMs: () => Math.max(0, next - now()) });
};
