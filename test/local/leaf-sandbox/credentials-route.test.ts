import type { LeafSandbox, Provider } from '../../../local/leaf-sandbox/server';
import {
  authenticate,
  callCredentials,
  credentialBody,
  credentialsUrl,
  leafUserId,
  startSandbox,
  unknownUserId,
} from './sandbox-fixture';

const leafTimestampFormat = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const uuidFormat = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const withoutField = (field: keyof typeof credentialBody): Record<string, string> => {
  const { [field]: _dropped, ...rest } = credentialBody;

  return rest;
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

  describe('POST credentials', () => {
    it('answers 201 with the credential, its secrets echoed', async () => {
      // GIVEN
      const body = { ...credentialBody, clientEnvironment: 'PRODUCTION' };

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', { body });

      // THEN
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({
        id: expect.stringMatching(uuidFormat),
        status: 'OK',
        createdTime: expect.stringMatching(leafTimestampFormat),
        ...body,
      });
    });

    it('stamps createdTime in UTC with microseconds, close to now', async () => {
      // GIVEN
      const before = Date.now();

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // THEN
      const { createdTime } = (await response.json()) as { createdTime: string };
      const stampMs = Date.parse(`${createdTime.slice(0, 23)}Z`);
      expect(stampMs).toBeGreaterThanOrEqual(before - 5);
      expect(stampMs).toBeLessThanOrEqual(Date.now() + 5);
    });

    it('holds the credential it answered with', async () => {
      // GIVEN
      const response = await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // WHEN
      const held = sandbox.credentials(leafUserId);

      // THEN
      expect(held).toEqual(await response.json());
      expect(sandbox.stats().writes).toEqual({ post: 1, delete: 0 });
    });

    it('defaults clientEnvironment to STAGE for FieldOps', async () => {
      // GIVEN
      const body = withoutField('clientEnvironment');

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', {
        provider: 'cnhi-fieldops',
        body,
      });

      // THEN
      expect(response.status).toBe(201);
      expect(sandbox.credentials(leafUserId, 'cnhi-fieldops')?.clientEnvironment).toBe('STAGE');
    });

    it('keeps a legacy and a FieldOps credential side by side', async () => {
      // GIVEN
      await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', {
        provider: 'cnhi-fieldops',
        body: credentialBody,
      });

      // THEN
      expect(response.status).toBe(201);
      expect(sandbox.credentials(leafUserId, 'cnhi')).toBeDefined();
      expect(sandbox.credentials(leafUserId, 'cnhi-fieldops')).toBeDefined();
    });

    it.each<[string, Provider, unknown]>([
      ['clientId is missing', 'cnhi', withoutField('clientId')],
      ['clientSecret is missing', 'cnhi', withoutField('clientSecret')],
      ['subscriptionKey is missing', 'cnhi', withoutField('subscriptionKey')],
      ['refreshToken is missing', 'cnhi', withoutField('refreshToken')],
      ['clientEnvironment is missing', 'cnhi', withoutField('clientEnvironment')],
      ['clientEnvironment is unknown', 'cnhi', { ...credentialBody, clientEnvironment: 'DEV' }],
      ['clientSecret is empty', 'cnhi', { ...credentialBody, clientSecret: ' ' }],
      ['refreshToken is a number', 'cnhi', { ...credentialBody, refreshToken: 42 }],
      ['the body is an array', 'cnhi', [credentialBody]],
      ['FieldOps clientId is missing', 'cnhi-fieldops', withoutField('clientId')],
      [
        'FieldOps subscriptionKey is empty',
        'cnhi-fieldops',
        { ...credentialBody, subscriptionKey: '' },
      ],
      [
        'FieldOps clientEnvironment is unknown',
        'cnhi-fieldops',
        { ...credentialBody, clientEnvironment: 'stage' },
      ],
    ])('answers 400 problem JSON when %s', async (_case, provider, body) => {
      // GIVEN
      const request = { provider, body };

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', request);

      // THEN
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 400, errorKey: 'invalidCredentials' });
      expect(sandbox.credentials(leafUserId, provider)).toBeUndefined();
    });

    it('answers 400 when the body is not JSON', async () => {
      // GIVEN
      const init = { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{' };

      // WHEN
      const response = await fetch(credentialsUrl(sandbox), init);

      // THEN
      expect(response.status).toBe(400);
    });

    it('never quotes a secret in a validation message', async () => {
      // GIVEN
      const body = { ...credentialBody, clientEnvironment: 'a-secret-looking-value' };

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', { body });

      // THEN
      const text = await response.text();
      expect(text).not.toContain('a-secret-looking-value');
      expect(text).not.toContain(credentialBody.clientSecret);
    });

    it('answers 404 userNotFound for an unknown Leaf user', async () => {
      // GIVEN
      const request = { userId: unknownUserId, body: credentialBody };

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', request);

      // THEN
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ errorKey: 'userNotFound' });
    });

    it('answers 404 userNotFound when the Leaf user id is not a UUID', async () => {
      // GIVEN
      const request = { userId: 'not-a-uuid', body: credentialBody };

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', request);

      // THEN
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ errorKey: 'userNotFound' });
    });

    it('answers 409 to a second POST by default and keeps the first credential', async () => {
      // GIVEN
      const first = await callCredentials(sandbox, token, 'POST', { body: credentialBody });
      const { id } = (await first.json()) as { id: string };

      // WHEN
      const second = await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // THEN
      expect(second.status).toBe(409);
      expect(sandbox.credentials(leafUserId)?.id).toBe(id);
      expect(sandbox.stats().writes.post).toBe(1);
    });

    it('answers 400 to a second POST in bad-request mode and keeps the first credential', async () => {
      // GIVEN
      sandbox.setSecondPost('bad-request');
      const first = await callCredentials(sandbox, token, 'POST', { body: credentialBody });
      const { id } = (await first.json()) as { id: string };

      // WHEN
      const second = await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // THEN
      expect(second.status).toBe(400);
      expect(sandbox.credentials(leafUserId)?.id).toBe(id);
    });

    it('replaces the credential with a new id on a second POST in replace mode', async () => {
      // GIVEN
      sandbox.setSecondPost('replace');
      const first = await callCredentials(sandbox, token, 'POST', { body: credentialBody });
      const { id } = (await first.json()) as { id: string };
      const body = { ...credentialBody, refreshToken: 'rotated-refresh-token' };

      // WHEN
      const second = await callCredentials(sandbox, token, 'POST', { body });

      // THEN
      expect(second.status).toBe(201);
      expect(sandbox.credentials(leafUserId)).toMatchObject({
        id: expect.not.stringMatching(id),
        refreshToken: 'rotated-refresh-token',
      });
      expect(sandbox.stats().writes.post).toBe(2);
    });

    it('answers 413 when the body is over 1 MiB', async () => {
      // GIVEN
      const body = { ...credentialBody, clientSecret: 'x'.repeat(1024 * 1024) };

      // WHEN
      const response = await callCredentials(sandbox, token, 'POST', { body });

      // THEN
      expect(response.status).toBe(413);
      expect(sandbox.credentials(leafUserId)).toBeUndefined();
    });
  });

  describe('GET credentials', () => {
    it('answers 200 with the held credential', async () => {
      // GIVEN
      const created = await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(await created.json());
    });

    it('answers 404 when the user holds none', async () => {
      // GIVEN
      await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET', { provider: 'cnhi-fieldops' });

      // THEN
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ errorKey: 'credentialsNotFound' });
    });

    it('answers 404 for an unknown Leaf user', async () => {
      // GIVEN
      const request = { userId: unknownUserId };

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET', request);

      // THEN
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ errorKey: 'userNotFound' });
    });

    it('reports the status set by setCredentialStatus', async () => {
      // GIVEN
      await callCredentials(sandbox, token, 'POST', { body: credentialBody });
      sandbox.setCredentialStatus(leafUserId, 'cnhi', 'UNAUTHENTICATED');

      // WHEN
      const response = await callCredentials(sandbox, token, 'GET');

      // THEN
      expect(await response.json()).toMatchObject({ status: 'UNAUTHENTICATED' });
    });
  });

  describe('DELETE credentials', () => {
    it('answers 204 with no body and forgets the credential', async () => {
      // GIVEN
      await callCredentials(sandbox, token, 'POST', { body: credentialBody });

      // WHEN
      const response = await callCredentials(sandbox, token, 'DELETE');

      // THEN
      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
      expect(sandbox.credentials(leafUserId)).toBeUndefined();
      expect(sandbox.stats().writes).toEqual({ post: 1, delete: 1 });
    });

    it('answers 404 when the user holds none', async () => {
      // GIVEN
      const request = { provider: 'cnhi-fieldops' as const };

      // WHEN
      const response = await callCredentials(sandbox, token, 'DELETE', request);

      // THEN
      expect(response.status).toBe(404);
      expect(sandbox.stats().writes.delete).toBe(0);
    });
  });

  describe('GET credentials events', () => {
    it('answers 200 with the calls made for that user and provider, newest first', async () => {
      // GIVEN
      await callCredentials(sandbox, token, 'POST', { body: credentialBody });
      await callCredentials(sandbox, token, 'DELETE');

      // WHEN
      const response = await fetch(`${credentialsUrl(sandbox)}/events?page=0&size=10`, {
        headers: { authorization: `Bearer ${token}` },
      });

      // THEN
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual([
        expect.objectContaining({ method: 'DELETE', status: 204 }),
        expect.objectContaining({ method: 'POST', status: 201 }),
      ]);
    });
  });

  describe('other routes', () => {
    it('answers 404 problem JSON for an unknown route', async () => {
      // GIVEN
      const url = `${sandbox.url}/services/usermanagement/api/users/${leafUserId}/trimble-credentials`;

      // WHEN
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });

      // THEN
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ errorKey: 'routeNotFound' });
    });

    it('answers 405 to a method the credentials route does not serve', async () => {
      // GIVEN
      const init = { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: '{}' };

      // WHEN
      const response = await fetch(credentialsUrl(sandbox), init);

      // THEN
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, POST, DELETE');
    });
  });
});
