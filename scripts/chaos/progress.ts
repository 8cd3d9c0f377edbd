/** Where a run reports what it is doing; the figures themselves go to stdout at the end. */
export interface Progress {
  line(text: string): void;
  /** Prints `status()` every `everyMs` until the returned function is called. */
  every(everyMs: number, status: () => string): () => void;
}

/**
 * Progress on stderr. The write function is taken when this is made, before the run captures the
 * process's output to search it for secrets, so progress lines reach the terminal and stay out of
 * the searched text, which holds only what the product itself printed.
 */
export const stderrProgress = (started = Date.now()): Progress => {
  const write = process.stderr.write.bind(process.stderr);
  const line = (text: string) => {
    const seconds = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
    write(`[chaos ${seconds}s] ${text}\n`);
  };

  return {
    line,
    every: (everyMs, status) => {
      const timer = setInterval(() => line(status()), everyMs);
      timer.unref();

      return () => clearInterval(timer);
    },
  };
};

/** Progress that goes nowhere, for the test suite. */
export const silentProgress: Progress = {
  line: () => undefined,
  every: () => () => undefined,
};
