import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(__dirname, '..', '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const main = join(root, 'local', 'leaf-sandbox', 'main.ts');

const firstLine = async (child: ChildProcess): Promise<string> => {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();

  return line;
};

describe('Leaf sandbox', () => {
  describe('main.ts', () => {
    let child: ChildProcess;

    afterEach(async () => {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    });

    it('prints its URL as one JSON line and serves the owner given by flag', async () => {
      // GIVEN
      child = spawn(tsx, [main, '--port', '0', '--owner', 'cli-owner:cli-password'], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      });

      // WHEN
      const printed = JSON.parse(await firstLine(child)) as { url: string; controlUrl: string };

      // THEN
      expect(printed.controlUrl).toBe(`${printed.url}/__sandbox/`);
      const response = await fetch(`${printed.url}/api/authenticate`, {
        method: 'POST',
        body: JSON.stringify({ username: 'cli-owner', password: 'cli-password' }),
      });
      expect(response.status).toBe(200);
    });

    it('exits cleanly on SIGTERM', async () => {
      // GIVEN
      child = spawn(tsx, [main, '--port', '0', '--owner', 'cli-owner:cli-password'], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await firstLine(child);

      // WHEN
      const exited = once(child, 'exit');
      child.kill('SIGTERM');

      // THEN
      expect(await exited).toEqual([0, null]);
    });
  });
});
