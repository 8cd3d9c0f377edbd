import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startMoto } from '../../local/moto-server';
import { localAwsEndpoint } from '../helpers/aws-env';

const repoRoot = resolve(__dirname, '../..');

const answers = async (endpoint: string) => {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();

    return response.ok;
  } catch {
    return false;
  }
};

const waitUntilSilent = async (endpoint: string, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await answers(endpoint))) return true;
    await sleep(100);
  }

  return false;
};

describe('startMoto', () => {
  it('answers HTTP on loopback when the global setup has started it', async () => {
    // GIVEN
    const endpoint = localAwsEndpoint();

    // WHEN
    const response = await fetch(`${endpoint}/moto-api/`);
    await response.body?.cancel();

    // THEN
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(response.status).toBe(200);
  });

  it('stops answering when stop() is called', async () => {
    // GIVEN
    const moto = await startMoto();
    expect(await answers(moto.endpoint)).toBe(true);

    // WHEN
    await moto.stop();
    await moto.stop();

    // THEN
    expect(await answers(moto.endpoint)).toBe(false);
  });

  it('exits when the process that started it is killed', async () => {
    // GIVEN a separate node process that starts moto and prints where
    const script = `require('./local/moto-server.ts').startMoto().then((moto) => {
      console.log(moto.endpoint);
      setInterval(() => undefined, 60_000);
    });`;
    const parent = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [firstOutput] = (await once(parent.stdout, 'data')) as [Buffer];
    const endpoint = firstOutput.toString().trim();
    expect(await answers(endpoint)).toBe(true);

    // WHEN it dies without running any exit handler
    parent.kill('SIGKILL');
    await once(parent, 'exit');

    // THEN
    expect(await waitUntilSilent(endpoint, 5_000)).toBe(true);
  });
});
