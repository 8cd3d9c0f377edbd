import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// This file sits in local/, so the repository root is one level up. __dirname rather than
// import.meta because ts-jest and tsx both load our sources as CommonJS.
const repoRoot = resolve(__dirname, '..');
const isWindows = process.platform === 'win32';
const binDirName = isWindows ? 'Scripts' : 'bin';
const exe = (name: string) => (isWindows ? `${name}.exe` : name);
const stampFileName = '.requirements.sha256';
const lockFileName = '.install.lock';
// A cold install of moto takes about half a minute; a waiter gives up only well after that.
const lockWaitMs = 15 * 60_000;
// A lock file still empty after this long was left by a process that died before writing its pid.
const emptyLockStaleMs = 10_000;
const outputTailChars = 4_000;

/** Where a project-local Python environment lives and what goes into it. */
export interface PythonEnvOptions {
  /** The virtual environment's directory; created if missing. */
  readonly venvDir: string;
  /** A pip requirements file; the environment is reinstalled whenever its content changes. */
  readonly requirementsFile: string;
  /**
   * The interpreter that creates the environment.
   * @default 'python3'
   */
  readonly python?: string;
  /**
   * Receives the progress lines, printed only when something is installed.
   * @default - writes each line to stderr
   */
  readonly log?: (line: string) => void;
}

/** A ready Python environment. */
export interface PythonEnv {
  readonly venvDir: string;
  /** Holds the environment's `python` and the console scripts of its packages. */
  readonly binDir: string;
  /** Whether this call installed anything (false when the environment was already current). */
  readonly installed: boolean;
}

/** The local Python environment cannot be created or installed; the message says what is missing. */
export class PythonEnvError extends Error {
  override name = 'PythonEnvError';
}

interface RunResult {
  readonly code: number | null;
  readonly output: string;
}

const tail = (text: string) => text.slice(-outputTailChars).trimEnd();

const shown = (path: string) => {
  const fromCwd = relative(process.cwd(), path);

  return fromCwd === '' || fromCwd.startsWith('..') ? path : fromCwd;
};

// Duck-typed: under jest, errors from Node's core come from another realm and fail instanceof.
const isErrnoError = (error: unknown, code: string): boolean =>
  typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;

const run = (command: string, args: readonly string[]) =>
  new Promise<RunResult>((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = tail(output + chunk.toString());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, output }));
  });

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return isErrnoError(error, 'EPERM');
  }
};

/**
 * Takes an exclusive lock file (O_EXCL create) holding our pid, so that jest and the demo, started
 * together, do not run two pip installs into the same environment. A lock whose holder has died
 * is taken over.
 */
const acquireLock = async (lockPath: string, log: (line: string) => void) => {
  const started = Date.now();
  let toldWaiting = false;

  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();

      return () => rm(lockPath, { force: true });
    } catch (error) {
      if (!isErrnoError(error, 'EEXIST')) throw error;
    }

    const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    const age = Date.now() - ((await stat(lockPath).catch(() => undefined))?.mtimeMs ?? 0);
    const stale = Number.isNaN(holder) ? age > emptyLockStaleMs : !isAlive(holder);
    if (stale) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() - started > lockWaitMs) {
      throw new PythonEnvError(
        `gave up after ${lockWaitMs / 1000} s waiting for ${lockPath} (held by pid ${holder}); delete it if no install is running`,
      );
    }
    if (!toldWaiting) {
      log(`python-env: waiting for pid ${holder}, which is installing into this environment`);
      toldWaiting = true;
    }
    await sleep(250);
  }
};

const createVenv = async (python: string, venvDir: string) => {
  let result: RunResult;
  try {
    result = await run(python, ['-m', 'venv', venvDir]);
  } catch (error) {
    if (isErrnoError(error, 'ENOENT')) {
      throw new PythonEnvError(
        `${python} was not found on PATH: install Python 3 (3.9 or newer); the local AWS emulator (moto) runs on it`,
        { cause: error },
      );
    }
    throw error;
  }
  if (result.code === 0) return;

  // Debian and Ubuntu ship the venv module without ensurepip unless python3-venv is installed.
  if (/ensurepip|No module named venv/.test(result.output)) {
    throw new PythonEnvError(
      `${python} cannot create virtual environments: its venv/ensurepip module is missing (on Debian or Ubuntu: apt-get install python3-venv)\n${result.output}`,
    );
  }
  throw new PythonEnvError(
    `${python} -m venv ${venvDir} failed with exit code ${result.code}\n${result.output}`,
  );
};

const pipInstall = async (python: string, requirementsFile: string) => {
  const result = await run(python, [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--no-input',
    '--quiet',
    '--requirement',
    requirementsFile,
  ]);
  if (result.code !== 0) {
    throw new PythonEnvError(
      `pip could not install ${requirementsFile} (exit code ${result.code}); is PyPI reachable?\n${result.output}`,
    );
  }
};

const hashFile = async (file: string) => {
  try {
    return createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
  } catch (error) {
    throw new PythonEnvError(`cannot read the requirements file ${file}`, { cause: error });
  }
};

const isCurrent = async (venvDir: string, venvPython: string, hash: string) => {
  const stamp = await readFile(join(venvDir, stampFileName), 'utf8').catch(() => undefined);

  // existsSync follows the venv's python symlink, so a removed base interpreter counts as stale.
  return stamp?.trim() === hash && existsSync(venvPython);
};

/**
 * Makes sure a virtual environment exists and holds exactly what the requirements file lists.
 * Costs one file read and one hash when nothing changed; safe to call from concurrent processes.
 */
export const ensurePythonEnv = async (options: PythonEnvOptions): Promise<PythonEnv> => {
  const { venvDir, requirementsFile } = options;
  const python = options.python ?? 'python3';
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const binDir = join(venvDir, binDirName);
  const venvPython = join(binDir, exe('python'));
  const hash = await hashFile(requirementsFile);

  if (await isCurrent(venvDir, venvPython, hash)) return { venvDir, binDir, installed: false };

  // The lock lives inside the environment's directory, which is already ignored by git; venv
  // accepts an existing directory.
  await mkdir(venvDir, { recursive: true });
  const release = await acquireLock(join(venvDir, lockFileName), log);
  try {
    // Another process may have finished the install while this one waited for the lock.
    if (await isCurrent(venvDir, venvPython, hash)) return { venvDir, binDir, installed: false };

    const started = Date.now();
    if (!existsSync(venvPython) || !existsSync(join(binDir, exe('pip')))) {
      log(`python-env: creating ${shown(venvDir)} with ${python} -m venv`);
      await createVenv(python, venvDir);
    }
    log(`python-env: installing ${shown(requirementsFile)} (first run ~30 s)`);
    // Dropped first so that an interrupted install is redone by the next caller.
    await rm(join(venvDir, stampFileName), { force: true });
    await pipInstall(venvPython, requirementsFile);
    await writeFile(join(venvDir, stampFileName), `${hash}\n`);
    log(`python-env: ${shown(venvDir)} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    return { venvDir, binDir, installed: true };
  } finally {
    await release();
  }
};

/** Installs moto into `<repo>/.venv` from `requirements.txt` if needed; returns `moto_server`'s path. */
export const ensureMoto = async (): Promise<string> => {
  const { binDir } = await ensurePythonEnv({
    venvDir: join(repoRoot, '.venv'),
    requirementsFile: join(repoRoot, 'requirements.txt'),
  });

  return join(binDir, exe('moto_server'));
};
