import type { FaultRule, LeafSandbox } from '../../../local/leaf-sandbox/server';
import {
  authenticate,
  callCredentials,
  credentialBody,
  credentialsUrl,
  leafUserId,
  startSandbox,
} from './sandbox-fixture';

const statusesOf = async (sandbox: LeafSandbox, token: string, count: number) => {
  const statuses: number[] = [];
  for (let index = 0; index < count; index += 1) {
    statuses.push((await callCredentials(sandbox, token, 'GET')).status);
  }

  return statuses;
};

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

  describe('status faults', () => {
    it('answers the injected status as problem JSON without applying the write', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'status', status: 503 });

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // THEN
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 503, errorKey: 'injectedFault' });
      expect(sandbox.credentials(leafUserId)).toBeUndefined();
      expect(sandbox.stats().writes.post).toBe(0);
    });

    it.each([
      ['html', 'text/html; charset=utf-8', /<html>/],
      ['invalid-json', 'application/json', /^\{"status": 502, "message": "truncated$/],
      ['empty', null, /^$/],
    ] as const)('sends the %s body kind when asked', async (body, contentType, text) => {
      // GIVEN
      sandbox.injectFault({ kind: 'status', status: 502, body });

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(response.status).toBe(502);
      expect(response.headers.get('content-type')).toBe(contentType);
      expect(await response.text()).toMatch(text);
    });

    it('applies to the next N matching requests only when times is given', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'status', status: 500, times: 2 });

      // WHEN
      const statuses = await statusesOf(sandbox, token, 3);

      // THEN
      expect(statuses).toEqual([500, 500, 404]);
    });

    it('leaves requests alone that its match does not cover', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'status', status: 500, match: { route: 'authenticate' } });
      sandbox.injectFault({ kind: 'status', status: 500, match: { method: 'delete' } });
      sandbox.injectFault({ kind: 'status', status: 500, match: { path: /field-ops/ } });

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // THEN
      expect(response.status).toBe(201);
    });

    it('matches a path given as a string as a substring', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'status', status: 500, match: { path: '/cnhi-credentials' } });

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(response.status).toBe(500);
    });

    it('matches a RegExp with the global flag on every request, not every other one', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'status', status: 500, match: { path: /credentials/g } });

      // WHEN
      const statuses = await statusesOf(sandbox, token, 3);

      // THEN
      expect(statuses).toEqual([500, 500, 500]);
    });

    it('covers the events log under the credentials route', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'status', status: 503, match: { route: 'credentials' } });

      // WHEN
      const response = await fetch(`${credentialsUrl(sandbox, 'cnhi-fieldops')}/events`, {
        headers: { authorization: `Bearer ${token}` },
      });

      // THEN
      expect(response.status).toBe(503);
    });

    it('stops after clearFaults()', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'status', status: 500 });
      sandbox.clearFaults();

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(response.status).toBe(404);
    });

    it('rejects a rule with an impossible status, quoting it', () => {
      // GIVEN
      const rule: FaultRule = { kind: 'status', status: 42 };

      // WHEN / THEN
      expect(() => sandbox.injectFault(rule)).toThrow(/status.*"status":42/);
    });
  });

  describe('rate-limit faults', () => {
    it('answers 429 with Leaf draft body and Retry-After, without applying the write', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'rate-limit', retryAfterSeconds: 7 });

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // THEN
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('7');
      expect(await response.json()).toEqual({
        error: expect.any(String),
        message: expect.any(String),
        status_code: 429,
      });
      expect(sandbox.credentials(leafUserId)).toBeUndefined();
    });

    it('sends no Retry-After when none is given', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'rate-limit' });

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(response.status).toBe(429);
      expect(response.headers.has('retry-after')).toBe(false);
    });
  });

  describe('latency', () => {
    it('delays the answer by a latency fault, then answers normally', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'latency', ms: 150 });
      const started = performance.now();

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // THEN
      expect(performance.now() - started).toBeGreaterThanOrEqual(145);
      expect(response.status).toBe(201);
    });

    it('lets a later rule fire after a latency fault', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'latency', ms: 10 });
      sandbox.injectFault({ kind: 'status', status: 503 });

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(response.status).toBe(503);
      expect(sandbox.stats().faultsInjected).toBe(2);
    });

    it('delays every Leaf answer by setLatency()', async () => {
      // GIVEN
      sandbox.setLatency(120);
      const started = performance.now();

      // WHEN
      await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    });
  });

  describe('connection faults', () => {
    it('drops the connection without answering or applying the write', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'drop', times: 1 });

      // WHEN
      const call = callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // THEN
      await expect(call).rejects.toThrow('fetch failed');
      expect(sandbox.credentials(leafUserId)).toBeUndefined();
      expect(sandbox.stats().log.at(-1)).toMatchObject({ status: 0, fault: 'drop' });
    });

    it('cuts the body in half after sending 200 headers, without applying the write', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'drop-mid-body', times: 1 });

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // THEN
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
      expect(sandbox.credentials(leafUserId)).toBeUndefined();
    });

    it('sends the status asked for before cutting the body', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'drop-mid-body', status: 201, times: 1 });

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // THEN
      expect(response.status).toBe(201);
      await expect(response.json()).rejects.toThrow();
    });

    it('applies the write, then drops the answer, for drop-after-apply', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'drop-after-apply', times: 1 });

      // WHEN
      const call = callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // THEN
      await expect(call).rejects.toThrow('fetch failed');
      expect(sandbox.credentials(leafUserId)).toMatchObject({ status: 'OK' });
      expect(sandbox.stats().writes.post).toBe(1);
    });

    it('never answers a request caught by a hang fault', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'hang', times: 1 });

      // WHEN
      const call = callCredentials(sandbox, token, 'GET', { signal: AbortSignal.timeout(300) });

      // THEN
      await expect(call).rejects.toMatchObject({ name: 'TimeoutError' });
    });
  });

  describe('expire-token faults', () => {
    it('answers 401 as if the token expired', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'expire-token', times: 1 });

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ errorKey: 'tokenExpired' });
    });

    it('leaves the token valid for the next request', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'expire-token', times: 1 });
      await callCredentials(sandbox, token, 'GET');

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(response.status).toBe(404);
    });
  });

  describe('probability', () => {
    const rule: FaultRule = { kind: 'status', status: 503, probability: 0.5 };

    it('fires some of the time, not always', async () => {
      // GIVEN
      sandbox.injectFault(rule);

      // WHEN
      const statuses = await statusesOf(sandbox, token, 40);

      // THEN
      expect(statuses).toContain(503);
      expect(statuses).toContain(404);
    });

    it('fires on the same requests in two sandboxes with the same seed', async () => {
      // GIVEN
      const twin = await startSandbox({ seed: 7 });
      const twinToken = await authenticate(twin);
      const seeded = await startSandbox({ seed: 7 });
      const seededToken = await authenticate(seeded);
      twin.injectFault(rule);
      seeded.injectFault(rule);

      // WHEN
      const first = await statusesOf(twin, twinToken, 30);
      const second = await statusesOf(seeded, seededToken, 30);
      await Promise.all([twin.close(), seeded.close()]);

      // THEN
      expect(second).toEqual(first);
    });

    it('repeats its sequence after reset()', async () => {
      // GIVEN
      sandbox.injectFault(rule);
      const first = await statusesOf(sandbox, token, 30);
      sandbox.reset();
      sandbox.injectFault(rule);

      // WHEN
      const second = await statusesOf(sandbox, token, 30);

      // THEN
      expect(second).toEqual(first);
    });
  });

  describe('reset', () => {
    it('forgets credentials, stats and faults but keeps users and tokens', async () => {
      // GIVEN
      await callCredentials(sandbox, token, 'POST', { body: credentialBody });
      sandbox.injectFault({ kind: 'status', status: 500, match: { method: 'GET' } });

      // WHEN
      sandbox.reset();

      // THEN
      expect(sandbox.credentials(leafUserId)).toBeUndefined();
      expect(sandbox.stats()).toMatchObject({ requests: 0, authCalls: 0, writes: { post: 0 } });
      expect((await callCredentials(sandbox, token, 'GET')).status).toBe(404);
    });
  });

  describe('stats', () => {
    it('counts fired faults and logs requests without bodies or headers', async () => {
      // GIVEN
      sandbox.injectFault({ kind: 'status', status: 500, times: 1 });

      // WHEN
      await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // THEN
      const stats = sandbox.stats();
      expect(stats.faultsInjected).toBe(1);
      expect(stats.byStatus).toEqual({ '200': 1, '500': 1 });
      expect(stats.log.at(-1)).toEqual({
        method: 'POST',
        path: `/services/usermanagement/api/users/${leafUserId}/cnhi-credentials`,
        status: 500,
        ms: expect.any(Number),
        fault: 'status',
      });
      expect(JSON.stringify(stats)).not.toContain(credentialBody.clientSecret);
    });
  });
});
