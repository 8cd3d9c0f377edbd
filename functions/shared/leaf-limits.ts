/**
 * Bounds of one Leaf request, shared by the functions (which apply them) and the stack (which sizes
 * function timeouts from them), so the two cannot drift apart.
 */
export const leafRequestLimits = {
  /** Upper bound of one HTTP attempt, in milliseconds, unless the deployment sets another. */
  defaultTimeoutMs: 8_000,
  /** In-call retries of an idempotent Leaf request (reads and deletes; never a POST). */
  retryLimit: 2,
} as const;
