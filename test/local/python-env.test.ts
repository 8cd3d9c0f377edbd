import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureMoto, ensurePythonEnv, PythonEnvError } from '../../local/python-env';

describe('ensureMoto', () => {
  it('returns at once without reinstalling when moto is already installed', async () => {
    // GIVEN the global setup has installed moto for this run
    const motoServer = await ensureMoto();

    // WHEN
    const started = performance.now();
    const again = await ensureMoto();
    const elapsedMs = performance.now() - started;

    // THEN
    expect(again).toBe(motoServer);
    expect(existsSync(again)).toBe(true);
    expect(elapsedMs).toBeLessThan(200);
  });
});

describe('ensurePythonEnv', () => {
  let workDir: string;

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'python-env-'));
  });

  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('installs once when two callers race for a new environment', async () => {
    // GIVEN a requirements file with nothing to download, so only the locking is exercised
    const requirementsFile = join(workDir, 'requirements.txt');
    await writeFile(requirementsFile, '# nothing\n');
    const lines: string[] = [];
    const options = {
      venvDir: join(workDir, 'venv'),
      requirementsFile,
      log: (line: string) => lines.push(line),
    };

    // WHEN
    const results = await Promise.all([ensurePythonEnv(options), ensurePythonEnv(options)]);

    // THEN
    expect(results.map((result) => result.installed).sort()).toEqual([false, true]);
    expect(lines.filter((line) => line.startsWith('python-env: installing'))).toHaveLength(1);
    expect(existsSync(join(workDir, 'venv', '.install.lock'))).toBe(false);
  });

  it('reinstalls when the requirements file changes', async () => {
    // GIVEN a current environment
    const requirementsFile = join(workDir, 'requirements.txt');
    await writeFile(requirementsFile, '# nothing\n');
    const options = { venvDir: join(workDir, 'venv'), requirementsFile, log: () => undefined };
    await ensurePythonEnv(options);
    const stampBefore = await readFile(join(workDir, 'venv', '.requirements.sha256'), 'utf8');

    // WHEN
    await writeFile(requirementsFile, '# still nothing, but different\n');
    const result = await ensurePythonEnv(options);

    // THEN
    expect(result.installed).toBe(true);
    expect(await readFile(join(workDir, 'venv', '.requirements.sha256'), 'utf8')).not.toBe(
      stampBefore,
    );
  });

  it('names the missing interpreter when python is not on PATH', async () => {
    // GIVEN
    const requirementsFile = join(workDir, 'requirements.txt');
    await writeFile(requirementsFile, '# nothing\n');

    // WHEN
    const result = ensurePythonEnv({
      venvDir: join(workDir, 'venv'),
      requirementsFile,
      python: 'python3-absent-here',
      log: () => undefined,
    });

    // THEN
    await expect(result).rejects.toThrow(PythonEnvError);
    await expect(result).rejects.toThrow(/python3-absent-here was not found on PATH/);
  });
});
