import { StatusStore } from '../../functions/shared/status-store';

/** The messages whose request was started (took the lease) at least once. */
export interface ClaimWatch {
  readonly started: ReadonlySet<string>;
  stop(): void;
}

/**
 * Notes every message the status store lets start. The history records how a request ended, not
 * that it started: one that ran, failed transiently after its write reached Leaf, and was then
 * skipped as stale shows only as skipped, though its write was its own and not a repeat. Knowing
 * which requests ran lets the write count hold each to at most one creation and one removal.
 */
export const watchClaims = (): ClaimWatch => {
  const started = new Set<string>();
  const claim = StatusStore.prototype.claim;
  StatusStore.prototype.claim = async function (this: StatusStore, request, leaseMs) {
    const answer = await claim.call(this, request, leaseMs);
    if (answer.kind === 'claimed') {
      started.add(request.messageId);
    }

    return answer;
  };

  return {
    started,
    stop: () => {
      StatusStore.prototype.claim = claim;
    },
  };
};
