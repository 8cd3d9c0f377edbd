import type { LeafSandbox } from '../../../local/leaf-sandbox/server';
import {
  authenticate,
  callCredentials,
  credentialBody,
  leafUserId,
  startSandbox,
  unknownUserId,
} from './sandbox-fixture';

const control = (sandbox: LeafSandbox, method: string, name: string, body?: unknown) =>
  fetch(`${sandbox.url}/__sandbox/${name}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

interface ControlState {
  users: string[];
  faults: unknown[];
  credentials: Record<string, unknown>[];
  stats: { requests: number };
}

describe('Leaf sandbox', () => {
  let sandbox: LeafSandbox;
  let token: string;

  beforeEach(async () => {
    sandbox = await startSandbox();
    token = await authenticate(sandbox);
  });

  afterEach(async () => {
    await sandbox.close();
  });

  describe('control API', () => {
    it('shows held credentials by fingerprint, never their secrets', async () => {
      // GIVEN
      await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // WHEN
      const response = await control(sandbox, 'GET', 'state');

      // THEN
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(JSON.parse(text).credentials).toEqual([
        expect.objectContaining({
          userId: leafUserId,
          provider: 'cnhi',
          status: 'OK',
          fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
        }),
      ]);
      for (const secret of Object.values(credentialBody).filter((value) => value !== 'STAGE')) {
        expect(text).not.toContain(secret);
      }
    });

    it('does not count its own requests in the stats', async () => {
      // GIVEN
      await control(sandbox, 'POST', 'latency', { ms: 0 });

      // WHEN
      const state = (await (await control(sandbox, 'GET', 'state')).json()) as ControlState;

      // THEN
      expect(state.stats.requests).toBe(1);
    });

    it('injects a fault rule sent as JSON, with a path pattern', async () => {
      // GIVEN
      const rule = { kind: 'status', status: 502, match: { pathRegex: 'cnhi-credentials$' } };

      // WHEN
      const response = await control(sandbox, 'POST', 'faults', [rule]);

      // THEN
      expect(response.status).toBe(204);
      expect((await callCredentials(sandbox, token, 'GET')).status).toBe(502);
    });

    it('answers 400 to a fault rule of an unknown kind', async () => {
      // GIVEN
      const rule = { kind: 'meteor-strike' };

      // WHEN
      const response = await control(sandbox, 'POST', 'faults', rule);

      // THEN
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    });

    it('injects none of an array of rules when one is invalid', async () => {
      // GIVEN
      const rules = [
        { kind: 'status', status: 503 },
        { kind: 'latency', ms: -1 },
      ];

      // WHEN
      const response = await control(sandbox, 'POST', 'faults', rules);

      // THEN
      expect(response.status).toBe(400);
      const state = (await (await control(sandbox, 'GET', 'state')).json()) as ControlState;
      expect(state.faults).toEqual([]);
    });

    it('clears the faults on DELETE faults', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'status', status: 500 });

      // WHEN
      await control(sandbox, 'DELETE', 'faults');

      // THEN
      expect((await callCredentials(sandbox, token, 'GET')).status).toBe(404);
    });

    it('expires every token on POST expire-tokens', async () => {
      // GIVEN
      expect((await callCredentials(sandbox, token, 'GET')).status).toBe(404);

      // WHEN
      await control(sandbox, 'POST', 'expire-tokens');

      // THEN
      expect((await callCredentials(sandbox, token, 'GET')).status).toBe(401);
    });

    it('adds a Leaf user on POST users', async () => {
      // GIVEN
      const body = { ids: [unknownUserId] };

      // WHEN
      await control(sandbox, 'POST', 'users', body);

      // THEN
      const response = await callCredentials(sandbox, token, 'POST', {
        userId: unknownUserId,
        body: credentialBody,
      });
      expect(response.status).toBe(201);
    });

    it('answers 400 to POST users with an id that is not a UUID', async () => {
      // GIVEN
      const body = { id: 'grower-17' };

      // WHEN
      const response = await control(sandbox, 'POST', 'users', body);

      // THEN
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        message: expect.stringContaining('grower-17'),
      });
    });

    it('forgets credentials but keeps users on POST reset', async () => {
      // GIVEN
      await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // WHEN
      await control(sandbox, 'POST', 'reset');

      // THEN
      const state = (await (await control(sandbox, 'GET', 'state')).json()) as ControlState;
      expect(state.credentials).toEqual([]);
      expect(state.users).toEqual([leafUserId]);
    });

    it('switches the second-POST answer on POST second-post', async () => {
      // GIVEN
      await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // WHEN
      await control(sandbox, 'POST', 'second-post', { mode: 'replace' });

      // THEN
      const second = await callCredentials(sandbox, token, 'POST', { body: credentialBody });
      expect(second.status).toBe(201);
    });

    it('changes a credential status on POST credential-status', async () => {
      // GIVEN
      await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // WHEN
      const body = { userId: leafUserId, provider: 'cnhi', status: 'MISSING_PERMISSION' };
      await control(sandbox, 'POST', 'credential-status', body);

      // THEN
      expect(sandbox.credentials(leafUserId)?.status).toBe('MISSING_PERMISSION');
    });

    it('answers 404 problem JSON for an unknown control route', async () => {
      // GIVEN
      const name = 'self-destruct';

      // WHEN
      const response = await control(sandbox, 'POST', name);

      // THEN
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    });
  });
});
