import { Agent, request } from 'node:http';
import type { LeafSandbox } from '../../../local/leaf-sandbox/server';
import { owner, startSandbox } from './sandbox-fixture';

// Opens a keep-alive connection and leaves it idle in the agent's pool.
const idleKeepAliveConnection = (sandbox: LeafSandbox, agent: Agent): Promise<void> =>
  new Promise((resolve, reject) => {
    const call = request(`${sandbox.url}/api/authenticate`, { method: 'POST', agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    call.on('error', reject);
    call.end(JSON.stringify(owner));
  });

describe('Leaf sandbox', () => {
  describe('startLeafSandbox', () => {
    it('listens on a free loopback port by default', async () => {
      // GIVEN
      const sandbox = await startSandbox();

      // WHEN
      const url = new URL(sandbox.url);
      await sandbox.close();

      // THEN
      expect(url.hostname).toBe('127.0.0.1');
      expect(Number(url.port)).toBeGreaterThan(0);
    });

    it('refuses to start without an API owner', async () => {
      // GIVEN
      const options = { apiOwners: [] };

      // WHEN
      const starting = startSandbox(options);

      // THEN
      await expect(starting).rejects.toThrow(/at least one API owner/);
    });

    it('refuses a Leaf user id that is not a UUID, quoting it', async () => {
      // GIVEN
      const options = { users: ['grower-17'] };

      // WHEN
      const starting = startSandbox(options);

      // THEN
      await expect(starting).rejects.toThrow(/UUID \(given "grower-17"\)/);
    });

    it('logs one line per Leaf request without bodies', async () => {
      // GIVEN
      const lines: string[] = [];
      const sandbox = await startSandbox({ log: (line) => lines.push(line) });

      // WHEN
      await fetch(`${sandbox.url}/api/authenticate`, {
        method: 'POST',
        body: JSON.stringify(owner),
      });
      await sandbox.close();

      // THEN
      expect(lines).toEqual([expect.stringMatching(/^POST \/api\/authenticate 200 [\d.]+ms$/)]);
    });
  });

  describe('close', () => {
    it('finishes promptly while a keep-alive connection is open', async () => {
      // GIVEN
      const sandbox = await startSandbox();
      const agent = new Agent({ keepAlive: true });
      await idleKeepAliveConnection(sandbox, agent);
      const started = performance.now();

      // WHEN
      await sandbox.close();

      // THEN
      expect(performance.now() - started).toBeLessThan(1000);
      agent.destroy();
    });

    it('finishes promptly while a request hangs', async () => {
      // GIVEN
      const sandbox = await startSandbox();
      sandbox.injectFault({ kind: 'hang' });
      const hanging = fetch(`${sandbox.url}/api/authenticate`, { method: 'POST', body: '{}' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();

      // WHEN
      await sandbox.close();

      // THEN
      expect(performance.now() - started).toBeLessThan(1000);
      await expect(hanging).rejects.toThrow('fetch failed');
    });

    it('finishes promptly while a latency fault is pending', async () => {
      // GIVEN
      const sandbox = await startSandbox();
      sandbox.injectFault({ kind: 'latency', ms: 60_000 });
      const delayed = fetch(`${sandbox.url}/api/authenticate`, { method: 'POST', body: '{}' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();

      // WHEN
      await sandbox.close();

      // THEN
      expect(performance.now() - started).toBeLessThan(1000);
      await expect(delayed).rejects.toThrow('fetch failed');
    });
  });
});
