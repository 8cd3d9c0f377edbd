import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureMoto } from './python-env';

const host = '127.0.0.1';
const stderrTailChars = 4_000;
const portAttempts = 3;
const stopGraceMs = 5_000;

// Runs moto_server with a watchdog thread that exits the process as soon as its stdin reaches
// EOF. The parent holds the only write end of that pipe, so when the parent dies in any way, even
// SIGKILL or an OOM kill where no exit handler runs, the kernel closes the pipe and moto follows.
const watchdogLauncher = [
  'import os, runpy, sys, threading',
  'def watch():',
  '    while sys.stdin.buffer.read1(4096):',
  '        pass',
  '    os._exit(0)',
  'threading.Thread(target=watch, daemon=True).start()',
  'sys.argv = sys.argv[1:]',
  "runpy.run_path(sys.argv[0], run_name='__main__')",
].join('\n');

// Belt and braces for a normal exit: the watchdog would also catch it, a moment later.
const liveServers = new Set<ChildProcess>();
let exitHookInstalled = false;
const installExitHook = () => {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveServers) child.kill('SIGTERM');
  });
};

/** A running moto server. */
export interface MotoServer {
  /** The server's root URL, e.g. `http://127.0.0.1:40123`; what `AWS_ENDPOINT_URL` should hold. */
  readonly endpoint: string;
  /** The moto_server process id. */
  readonly pid: number;
  /** Stops the server and waits until it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options for {@link startMoto}. */
export interface StartMotoOptions {
  /**
   * How long to wait for the server to answer HTTP.
   * @default 30_000
   */
  readonly startTimeoutMs?: number;
}

/** moto_server did not start; the message carries the tail of its stderr. */
export class MotoServerError extends Error {
  override name = 'MotoServerError';
}

const findFreePort = () =>
  new Promise<number>((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });

const answers = async (endpoint: string) => {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();

    return true;
  } catch {
    return false;
  }
};

const stopChild = async (child: ChildProcess) => {
  liveServers.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;

  const exited = once(child, 'exit');
  const grace = new AbortController();
  const timer = sleep(stopGraceMs, 'timeout' as const, { signal: grace.signal }).catch(
    () => 'exited',
  );
  // Closing stdin trips the watchdog, which exits at once; moto's own SIGTERM handler raises
  // SystemExit and takes about a second to unwind its server threads.
  child.stdin?.end();
  try {
    if ((await Promise.race([exited, timer])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  } finally {
    // A pending grace timer would hold the event loop, and so the caller's exit, for seconds.
    grace.abort();
  }
};

const launch = async (motoServerPath: string, startTimeoutMs: number) => {
  const port = await findFreePort();
  const endpoint = `http://${host}:${port}`;
  // moto_server's shebang names the venv's interpreter, which sits beside it.
  const python = join(
    dirname(motoServerPath),
    process.platform === 'win32' ? 'python.exe' : 'python',
  );
  const child = spawn(
    python,
    ['-c', watchdogLauncher, motoServerPath, '-H', host, '-p', String(port)],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  liveServers.add(child);
  installExitHook();

  // moto never keeps the parent alive on its own: the stdin pipe closes when the parent exits.
  child.unref();
  for (const stream of [child.stdin, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }

  // Closing the pipe of a server that already died reports EPIPE; it has nothing to tell us.
  child.stdin?.on('error', () => undefined);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-stderrTailChars);
  });
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError = error;
  });

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      liveServers.delete(child);
      const how = spawnError
        ? spawnError.message
        : `exit code ${child.exitCode ?? child.signalCode}`;

      return { endpoint, child, failure: `moto_server exited before answering (${how})`, stderr };
    }
    if (await answers(endpoint)) return { endpoint, child, stderr };
    if (Date.now() > deadline) {
      await stopChild(child);

      return {
        endpoint,
        child,
        failure: `moto_server did not answer within ${startTimeoutMs} ms`,
        stderr,
      };
    }
    await sleep(100);
  }
};

/**
 * Starts moto in server mode on a free loopback port, installing it first if needed, and resolves
 * once it answers HTTP. The server dies with this process.
 */
export const startMoto = async (options: StartMotoOptions = {}): Promise<MotoServer> => {
  const motoServerPath = await ensureMoto();
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;

  for (let attempt = 1; ; attempt++) {
    const { endpoint, child, failure, stderr } = await launch(motoServerPath, startTimeoutMs);
    if (!failure) {
      return {
        endpoint,
        pid: child.pid ?? -1,
        stop: () => stopChild(child),
      };
    }
    // Another process can take the probed port before moto binds it; a new port fixes that.
    if (attempt < portAttempts && /Address already in use/i.test(stderr)) continue;

    throw new MotoServerError(`${failure} at ${endpoint}; stderr tail:\n${stderr.trimEnd()}`);
  }
};

/** Forgets every resource in a moto server; affects every test sharing that server. */
export const resetMoto = async (endpoint: string): Promise<void> => {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) {
    throw new MotoServerError(`POST ${endpoint}/moto-api/reset answered ${response.status}`);
  }
};

/**
 * The environment that points the AWS SDK's default resolution (endpoint, region, credentials) at a
 * moto server; moto accepts any credentials, and `testing` keeps real ones out of the way.
 */
export const motoClientEnvironment = (endpoint: string): Record<string, string> => ({
  AWS_ENDPOINT_URL: endpoint,
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
});
