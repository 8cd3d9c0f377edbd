import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LeafSandbox } from '../../../local/leaf-sandbox/server';
import {
  authenticate,
  callCredentials,
  credentialBody,
  leafUserId,
  startSandbox,
} from './sandbox-fixture';

/** A call the receiver got: the raw body and the signature header. */
interface Received {
  readonly body: string;
  readonly signature: string | undefined;
}

const secret = 'mRyT257XpFWX-sandbox';
const webhooksPath = '/services/alerts/api/alerts/webhooks';
const sign = (body: string) => createHmac('sha256', secret).update(body).digest('base64');

/** A loopback receiver that records every call and answers with `status`. */
const startReceiver = async (status = 200) => {
  const calls: Received[] = [];
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }

    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer((req, res) => {
    void read(req).then((body) => {
      calls.push({ body, signature: req.headers['x-leaf-signature'] as string | undefined });
      res.writeHead(status);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/leaf`;

  return { url, calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
};

describe('Leaf sandbox webhooks', () => {
  let sandbox: LeafSandbox;
  let token: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  const register = (body: object, bearer = token) =>
    fetch(`${sandbox.url}${webhooksPath}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const registration = (
    events = ['credentialsUnauthenticated', 'credentialsLimitedPermission'],
  ) => ({
    events,
    name: 'credential health',
    secret,
    url: receiver.url,
  });

  beforeEach(async () => {
    sandbox = await startSandbox();
    token = await authenticate(sandbox);
    receiver = await startReceiver();
  });

  afterEach(async () => {
    await sandbox.close();
    await receiver.close();
  });

  it('registers a webhook and POSTs a signed confirmation to its URL', async () => {
    // GIVEN
    const body = registration();

    // WHEN
    const response = await register(body);
    await sandbox.settleWebhooks();

    // THEN
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ ...body, id: expect.any(String) });
    const confirmation = '{"message": "confirmation of webhook upon registration"}';
    expect(receiver.calls).toEqual([{ body: confirmation, signature: sign(confirmation) }]);
  });

  it('lists, reads and deletes registered webhooks with the owner’s token', async () => {
    // GIVEN
    const { id } = (await (await register(registration())).json()) as { id: string };
    const headers = { authorization: `Bearer ${token}` };

    // WHEN
    const list = await fetch(`${sandbox.url}${webhooksPath}`, { headers });
    const one = await fetch(`${sandbox.url}${webhooksPath}/${id}`, { headers });
    const removed = await fetch(`${sandbox.url}${webhooksPath}/${id}`, {
      method: 'DELETE',
      headers,
    });

    // THEN
    expect(await list.json()).toEqual([expect.objectContaining({ id, secret })]);
    expect(one.status).toBe(200);
    expect(removed.status).toBe(204);
    expect(sandbox.webhooks()).toEqual([]);
  });

  it.each([
    [
      'an event registered already',
      () => registration(['credentialsUnauthenticated']),
      'eventRegisteredTwice',
    ],
    ['an unknown event', () => registration(['somethingElse']), 'invalidEvents'],
    [
      'a URL that is not http',
      () => ({ ...registration(), url: 'ftp://example.com' }),
      'invalidBody',
    ],
  ])('refuses with 400 a registration of %s', async (_, body, errorKey) => {
    // GIVEN
    await register(registration(['credentialsUnauthenticated', 'credentialsLimitedPermission']));

    // WHEN
    const response = await register(body());

    // THEN
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errorKey });
  });

  it('answers 401 to a registration without a valid token', async () => {
    // GIVEN
    const bearer = 'not-a-token';

    // WHEN
    const response = await register(registration(), bearer);

    // THEN
    expect(response.status).toBe(401);
    expect(sandbox.webhooks()).toEqual([]);
  });

  it('sends a signed credential event when a credential turns unauthenticated', async () => {
    // GIVEN
    await register(registration());
    const created = await callCredentials(sandbox, token, 'POST', { body: credentialBody });
    const { id } = (await created.json()) as { id: string };
    await sandbox.settleWebhooks();

    // WHEN
    sandbox.setCredentialStatus(leafUserId, 'cnhi', 'UNAUTHENTICATED');
    await sandbox.settleWebhooks();

    // THEN
    const event = receiver.calls.at(-1);
    expect(event?.signature).toBe(sign(event?.body ?? ''));
    // Compact JSON with a space after each ':' and ',', as Leaf signs it; no leafUserId is promised.
    expect(event?.body).toMatch(/^\{"credential": "CNHICredentials", "provider": "CNHI", /);
    expect(JSON.parse(event?.body ?? '{}')).toEqual({
      credential: 'CNHICredentials',
      provider: 'CNHI',
      credentialId: id,
      message: expect.any(String),
      status: 'UNAUTHENTICATED',
      type: 'credentialsUnauthenticated',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
    });
  });

  it.each(['OK', 'TEMPORARILY_UNAVAILABLE'])(
    'sends no event when the status becomes %s',
    async (status) => {
      // GIVEN
      await register(registration());
      await callCredentials(sandbox, token, 'POST', { body: credentialBody });
      await sandbox.settleWebhooks();
      const before = receiver.calls.length;

      // WHEN
      sandbox.setCredentialStatus(leafUserId, 'cnhi', status);
      await sandbox.settleWebhooks();

      // THEN
      expect(receiver.calls).toHaveLength(before);
    },
  );

  it.each([
    [
      'invalid',
      (header: string | undefined, body: string) => header !== undefined && header !== sign(body),
    ],
    ['missing', (header: string | undefined) => header === undefined],
  ] as const)(
    'sends an arbitrary event with a %s signature on request',
    async (signature, check) => {
      // GIVEN
      await register(registration());
      await sandbox.settleWebhooks();

      // WHEN
      const [delivery] = await sandbox.sendWebhookEvent({ type: 'fieldCreated' }, { signature });

      // THEN
      expect(delivery).toMatchObject({ signature, status: 200, body: '{"type": "fieldCreated"}' });
      const received = receiver.calls.at(-1);
      expect(check(received?.signature, received?.body ?? '')).toBe(true);
    },
  );

  it('replays a delivery byte for byte with its signature', async () => {
    // GIVEN
    await register(registration());
    await sandbox.settleWebhooks();
    const [original] = await sandbox.sendWebhookEvent({ type: 'credentialsUnauthenticated' });

    // WHEN
    const replay = await sandbox.replayWebhook(original?.id);

    // THEN
    expect(replay).toMatchObject({ replayOf: original?.id, body: original?.body, status: 200 });
    expect(receiver.calls.at(-1)).toEqual(receiver.calls.at(-2));
  });

  it('sends events and replays through the control API', async () => {
    // GIVEN
    await register(registration());
    await sandbox.settleWebhooks();
    const control = (path: string, body: object) =>
      fetch(`${sandbox.url}/__sandbox/${path}`, { method: 'POST', body: JSON.stringify(body) });

    // WHEN
    const sent = await control('webhook-event', { payload: { type: 'x' }, signature: 'missing' });
    await sandbox.settleWebhooks();
    const replayed = await control('webhook-replay', {});
    await sandbox.settleWebhooks();
    const state = await (await fetch(`${sandbox.url}/__sandbox/webhooks`)).json();

    // THEN
    expect([sent.status, replayed.status]).toEqual([202, 202]);
    expect(state).toMatchObject({
      webhooks: [{ url: receiver.url }],
      deliveries: [
        {},
        { signature: 'missing' },
        { signature: 'missing', replayOf: expect.any(String) },
      ],
    });
    expect(JSON.stringify(state)).not.toContain(secret);
  });
});
