export interface RetryDelayPolicy {
  readonly baseSeconds: number;
  readonly maxSeconds: number;
}

/**
 * Seconds a transiently failed message stays hidden before its next delivery: doubling with each
 * delivery, half of it random so a burst of failures does not come back as a burst, never shorter
 * than Leaf's `Retry-After`, never longer than the cap.
 */
export const retryDelaySeconds = (
  receiveCount: number,
  policy: RetryDelayPolicy,
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number => {
  const exponential = policy.baseSeconds * 2 ** Math.max(0, Math.min(receiveCount - 1, 20));
  const capped = Math.min(policy.maxSeconds, exponential);
  const jittered = capped / 2 + random() * (capped / 2);
  const delay = Math.max(jittered, retryAfterSeconds ?? 0);

  return Math.round(Math.min(policy.maxSeconds, delay));
};
