import { createHmac } from 'node:crypto';
import type { LeafSandbox } from '../../../local/leaf-sandbox/server';
import {
  authenticate,
  callCredentials,
  decodeJwtPart,
  owner,
  startSandbox,
} from './sandbox-fixture';

const postAuthenticate = (sandbox: LeafSandbox, body: unknown): Promise<Response> =>
  fetch(`${sandbox.url}/api/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const dayS = 24 * 60 * 60;

describe('Leaf sandbox', () => {
  let sandbox: LeafSandbox;

  afterEach(async () => {
    await sandbox.close();
  });

  describe('POST /api/authenticate', () => {
    beforeEach(async () => {
      sandbox = await startSandbox();
    });

    it('issues an HS256 JWT with sub and a 24-hour exp when the password is right', async () => {
      // GIVEN
      const nowS = Date.now() / 1000;

      // WHEN
      const response = await postAuthenticate(sandbox, { ...owner, rememberMe: false });

      // THEN
      expect(response.status).toBe(200);
      const { id_token: token } = (await response.json()) as { id_token: string };
      expect(decodeJwtPart(token, 0)).toEqual({ alg: 'HS256', typ: 'JWT' });
      const claims = decodeJwtPart(token, 1);
      expect(claims.sub).toBe(owner.username);
      expect(claims.exp).toBeGreaterThanOrEqual(Math.floor(nowS + dayS) - 1);
      expect(claims.exp).toBeLessThanOrEqual(Math.ceil(nowS + dayS) + 1);
    });

    it.each([true, 'true'])('sets exp 30 days ahead when rememberMe is %p', async (rememberMe) => {
      // GIVEN
      const nowS = Date.now() / 1000;

      // WHEN
      const response = await postAuthenticate(sandbox, { ...owner, rememberMe });

      // THEN
      const { id_token: token } = (await response.json()) as { id_token: string };
      expect(decodeJwtPart(token, 1).exp).toBeGreaterThanOrEqual(Math.floor(nowS + 30 * dayS) - 1);
    });

    it('answers 401 problem JSON when the password is wrong', async () => {
      // GIVEN
      const body = { ...owner, password: 'wrong', rememberMe: 'false' };

      // WHEN
      const response = await postAuthenticate(sandbox, body);

      // THEN
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toEqual({
        type: expect.any(String),
        title: 'Unauthorized',
        status: 401,
        path: '/api/authenticate',
        message: expect.any(String),
        errorKey: 'badCredentials',
      });
    });

    it('answers 400 problem JSON when the body is not JSON', async () => {
      // GIVEN
      const body = 'username=api-owner';

      // WHEN
      const response = await postAuthenticate(sandbox, body);

      // THEN
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    });

    it('answers 400 when rememberMe is neither a boolean nor "true"/"false"', async () => {
      // GIVEN
      const body = { ...owner, rememberMe: 'yes' };

      // WHEN
      const response = await postAuthenticate(sandbox, body);

      // THEN
      expect(response.status).toBe(400);
    });

    it('counts every authenticate call, failed ones included', async () => {
      // GIVEN
      await postAuthenticate(sandbox, { ...owner, password: 'wrong' });

      // WHEN
      await authenticate(sandbox);

      // THEN
      expect(sandbox.stats()).toMatchObject({ authCalls: 2, tokensIssued: 1 });
    });
  });

  describe('Bearer tokens', () => {
    it('answers 401 when no token is sent', async () => {
      // GIVEN
      sandbox = await startSandbox();

      // WHEN
      const response = await callCredentials(sandbox, '', 'GET');

      // THEN
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    });

    it('answers 401 when the token outlived tokenTtlSeconds', async () => {
      // GIVEN
      sandbox = await startSandbox({ tokenTtlSeconds: 0 });
      const token = await authenticate(sandbox);

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(response.status).toBe(401);
    });

    it('answers 401 for a token issued before expireTokens()', async () => {
      // GIVEN
      sandbox = await startSandbox();
      const token = await authenticate(sandbox);
      sandbox.expireTokens();

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(response.status).toBe(401);
    });

    it('accepts a token issued after expireTokens()', async () => {
      // GIVEN
      sandbox = await startSandbox();
      sandbox.expireTokens();
      const token = await authenticate(sandbox);

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(response.status).toBe(404);
    });

    it('answers 401 for a token signed by another sandbox', async () => {
      // GIVEN
      sandbox = await startSandbox();
      const other = await startSandbox();
      const foreignToken = await authenticate(other);
      await other.close();

      // WHEN
      const response = await callCredentials(sandbox, foreignToken, 'GET');

      // THEN
      expect(response.status).toBe(401);
    });

    it('answers 401 when the payload was changed after signing', async () => {
      // GIVEN
      sandbox = await startSandbox();
      const [header, , signature] = (await authenticate(sandbox)).split('.');
      const claims = { sub: 'someone-else', exp: Math.floor(Date.now() / 1000) + 3600 };
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');

      // WHEN
      const response = await callCredentials(sandbox, `${header}.${payload}.${signature}`, 'GET');

      // THEN
      expect(response.status).toBe(401);
    });

    it('answers 401 for an alg "none" token', async () => {
      // GIVEN
      sandbox = await startSandbox();
      const [, payload] = (await authenticate(sandbox)).split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');

      // WHEN
      const response = await callCredentials(sandbox, `${header}.${payload}.`, 'GET');

      // THEN
      expect(response.status).toBe(401);
    });

    it('answers 401 for a well-formed HS256 token signed with a guessed key', async () => {
      // GIVEN
      sandbox = await startSandbox();
      const [header, payload] = (await authenticate(sandbox)).split('.');
      const forged = createHmac('sha256', 'secret').update(`${header}.${payload}`).digest();

      // WHEN
      const token = `${header}.${payload}.${forged.toString('base64url')}`;
      const response = await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(response.status).toBe(401);
    });
  });
});
