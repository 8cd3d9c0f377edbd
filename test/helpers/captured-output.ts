/** Everything written to stdout and stderr while capturing, e.g. the functions' JSON log lines. */
export interface CapturedOutput {
  readonly text: () => string;
  readonly restore: () => void;
}

/**
 * Captures process output without silencing it for the test runner's own use. Powertools'
 * logger writes to `process.stdout` through its own console, so that is where to listen.
 */
export const captureOutput = (): CapturedOutput => {
  const chunks: string[] = [];
  const originals = [process.stdout.write, process.stderr.write] as const;
  const tap =
    () =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();

      return true;
    };
  process.stdout.write = tap() as typeof process.stdout.write;
  process.stderr.write = tap() as typeof process.stderr.write;

  return {
    text: () => chunks.join(''),
    restore: () => {
      [process.stdout.write, process.stderr.write] = originals;
    },
  };
};
