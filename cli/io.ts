/** Where the command writes: the process streams in use, buffers in tests. */
export interface OutputStream {
  write(text: string): unknown;
  /** True on a terminal, where a progress bar may redraw its line. */
  readonly isTTY?: boolean;
}

/** What one run of the command may touch besides AWS: its streams, environment and directory. */
export interface CliIo {
  /** Results: tables for people, JSON for scripts. */
  readonly stdout: OutputStream;
  /** Progress, notes and errors, so they never mix into a result a script reads. */
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative `--file` and `--config` paths start here. */
  readonly cwd: string;
}

/** The real process: its streams, environment and working directory. */
export const processIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
