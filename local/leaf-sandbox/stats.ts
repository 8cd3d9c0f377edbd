import type { RequestLogEntry, SandboxStats } from './types';

const logLimit = 10_000;

/** Counts Leaf requests, applied writes and fired faults. */
export class StatsRecorder {
  authCalls = 0;
  tokensIssued = 0;
  requests = 0;
  faultsInjected = 0;
  readonly writes = { post: 0, delete: 0 };
  #byStatus: Record<string, number> = {};
  #log: RequestLogEntry[] = [];

  /** Logs a finished request; `status` 0 means no complete answer was sent. */
  record(entry: RequestLogEntry): void {
    if (entry.status !== 0) {
      const key = String(entry.status);
      this.#byStatus[key] = (this.#byStatus[key] ?? 0) + 1;
    }
    this.#log.push(entry);
    if (this.#log.length > logLimit) {
      this.#log.splice(0, this.#log.length - logLimit);
    }
  }

  /** A copy, safe to keep while the sandbox goes on counting. */
  snapshot(): SandboxStats {
    return {
      authCalls: this.authCalls,
      tokensIssued: this.tokensIssued,
      requests: this.requests,
      writes: { ...this.writes },
      byStatus: { ...this.#byStatus },
      faultsInjected: this.faultsInjected,
      log: [...this.#log],
    };
  }

  /** Back to zero, log emptied. */
  reset(): void {
    this.authCalls = 0;
    this.tokensIssued = 0;
    this.requests = 0;
    this.faultsInjected = 0;
    this.writes.post = 0;
    this.writes.delete = 0;
    this.#byStatus = {};
    this.#log = [];
  }
}
