import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GrowerCredentials } from '../../functions/shared/grower-secret';
import { LeafClient } from '../../functions/shared/leaf-client';
import type { FaultRule, LeafSandbox } from '../../local/leaf-sandbox/server';
import { startLeafSandbox } from '../../local/leaf-sandbox/server';
import { failureOf } from '../helpers/failure-of';
import { canaryCredentials as canaryCredentialsOf } from '../helpers/grower-secrets';

const owner = { username: 'owner@example.test', password: 'CANARY-owner-password' };
const budget = { budgetMs: 5_000 };
const canaryCredentials = (): GrowerCredentials => ({
  ...canaryCredentialsOf(),
  clientEnvironment: 'STAGE',
});

/** The Leaf client against the Leaf sandbox over loopback: real HTTP, real retries and timeouts. */
describe('LeafClient', () => {
  let sandbox: LeafSandbox;
  let leaf: LeafClient;
  let userId: string;

  beforeAll(async () => {
    sandbox = await startLeafSandbox({ apiOwners: [owner] });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  beforeEach(() => {
    sandbox.reset();
    userId = randomUUID();
    sandbox.addUser(userId);
    leaf = new LeafClient({
      baseUrl: sandbox.url,
      requestTimeoutMs: 1_000,
      apiOwner: async () => owner,
    });
  });

  it('reads absence as undefined when Leaf holds no credential', async () => {
    // GIVEN a user without credentials

    // WHEN
    const held = await leaf.getCredential(userId, 'cnhi', budget);

    // THEN
    expect(held).toBeUndefined();
  });

  it('keeps the secret fields out of the summary of a created credential', async () => {
    // GIVEN
    const credentials = canaryCredentials();

    // WHEN
    const created = await leaf.createCredential(userId, 'cnhi', credentials, budget);
    const read = await leaf.getCredential(userId, 'cnhi', budget);

    // THEN
    expect(created.summary).toEqual({
      id: sandbox.credentials(userId)?.id,
      status: 'OK',
      createdTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
      clientEnvironment: 'STAGE',
      clientIdLast4: credentials.clientId.slice(-4),
    });
    expect(JSON.stringify(read)).not.toContain('CANARY');
    expect(read?.holds(credentials)).toBe(true);
    expect(read?.holds({ ...credentials, refreshToken: 'another' })).toBe(false);
  });

  it('authenticates once for many concurrent calls', async () => {
    // GIVEN a fresh client

    // WHEN
    await Promise.all(Array.from({ length: 25 }, () => leaf.getCredential(userId, 'cnhi', budget)));

    // THEN
    expect(sandbox.stats().authCalls).toBe(1);
    expect(leaf.authentications).toBe(1);
  });

  it('renews the token exactly once when it expires under many calls in flight', async () => {
    // GIVEN
    await leaf.getCredential(userId, 'cnhi', budget);
    sandbox.expireTokens();

    // WHEN
    const answers = await Promise.all(
      Array.from({ length: 25 }, () => leaf.getCredential(userId, 'cnhi', budget)),
    );

    // THEN
    expect(answers).toHaveLength(25);
    expect(sandbox.stats().authCalls).toBe(2);
  });

  it('gives up as permanent when a 401 persists after one renewal', async () => {
    // GIVEN
    sandbox.injectFault({ kind: 'expire-token', match: { route: 'credentials' } });

    // WHEN
    const failure = await failureOf(leaf.getCredential(userId, 'cnhi', budget));

    // THEN
    expect(failure).toMatchObject({ reason: 'LEAF_UNAUTHORIZED', retryable: false });
    expect(sandbox.stats().authCalls).toBe(2);
  });

  it('reports a refused API-owner account as permanent without quoting the password', async () => {
    // GIVEN
    const wrong = new LeafClient({
      baseUrl: sandbox.url,
      requestTimeoutMs: 1_000,
      apiOwner: async () => ({ ...owner, password: 'CANARY-wrong' }),
    });

    // WHEN
    const failure = await failureOf(wrong.getCredential(userId, 'cnhi', budget));

    // THEN
    expect(failure).toMatchObject({ reason: 'LEAF_AUTH_REJECTED', retryable: false });
    expect(`${failure.message} ${JSON.stringify(failure.details)}`).not.toContain('CANARY');
  });

  it('retries an idempotent read after a 429 with Retry-After and succeeds', async () => {
    // GIVEN
    sandbox.injectFault({
      kind: 'rate-limit',
      retryAfterSeconds: 1,
      times: 1,
      match: { method: 'GET' },
    });

    // WHEN
    const started = Date.now();
    const held = await leaf.getCredential(userId, 'cnhi', budget);

    // THEN
    expect(held).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(sandbox.stats().byStatus[429]).toBe(1);
  });

  it('does not repeat a POST inside the call when Leaf is rate limiting', async () => {
    // GIVEN
    sandbox.injectFault({
      kind: 'rate-limit',
      retryAfterSeconds: 7,
      match: { method: 'POST', route: 'credentials' },
    });

    // WHEN
    const failure = await failureOf(
      leaf.createCredential(userId, 'cnhi', canaryCredentials(), budget),
    );

    // THEN
    expect(failure).toMatchObject({
      reason: 'LEAF_RATE_LIMITED',
      retryable: true,
      retryAfterSeconds: 7,
    });
    expect(sandbox.stats().writes.post).toBe(0);
  });

  // Each row: a fault on the credential POST, the reason code, and whether a retry can help.
  it.each<{ answer: string; fault: FaultRule; reason: string; retryable: boolean }>([
    {
      answer: '400 problem JSON',
      fault: { kind: 'status', status: 400, body: 'problem' },
      reason: 'LEAF_BAD_REQUEST',
      retryable: false,
    },
    {
      answer: '400 empty body',
      fault: { kind: 'status', status: 400, body: 'empty' },
      reason: 'LEAF_BAD_REQUEST',
      retryable: false,
    },
    {
      answer: '403 HTML',
      fault: { kind: 'status', status: 403, body: 'html' },
      reason: 'LEAF_FORBIDDEN',
      retryable: false,
    },
    {
      answer: '404 invalid JSON',
      fault: { kind: 'status', status: 404, body: 'invalid-json' },
      reason: 'LEAF_USER_NOT_FOUND',
      retryable: false,
    },
    {
      answer: '409 problem JSON',
      fault: { kind: 'status', status: 409 },
      reason: 'LEAF_CONFLICT',
      retryable: true,
    },
    {
      answer: '500 HTML',
      fault: { kind: 'status', status: 500, body: 'html' },
      reason: 'LEAF_SERVER_ERROR',
      retryable: true,
    },
    {
      answer: '502 empty',
      fault: { kind: 'status', status: 502, body: 'empty' },
      reason: 'LEAF_SERVER_ERROR',
      retryable: true,
    },
    {
      answer: '503 invalid JSON',
      fault: { kind: 'status', status: 503, body: 'invalid-json' },
      reason: 'LEAF_SERVER_ERROR',
      retryable: true,
    },
    {
      answer: '200 that is not a credential',
      fault: { kind: 'status', status: 200, body: 'invalid-json' },
      reason: 'LEAF_INVALID_RESPONSE',
      retryable: true,
    },
    {
      answer: 'a dropped connection',
      fault: { kind: 'drop' },
      reason: 'LEAF_CONNECTION_FAILED',
      retryable: true,
    },
    {
      answer: 'a body cut mid-way',
      fault: { kind: 'drop-mid-body', status: 201 },
      reason: 'LEAF_CONNECTION_FAILED',
      retryable: true,
    },
    {
      answer: 'an answer slower than the request timeout',
      fault: { kind: 'latency', ms: 2_000 },
      reason: 'LEAF_TIMEOUT',
      retryable: true,
    },
    {
      answer: 'no answer at all',
      fault: { kind: 'hang' },
      reason: 'LEAF_TIMEOUT',
      retryable: true,
    },
  ])('classifies $answer on POST as $reason', async ({ fault, reason, retryable }) => {
    // GIVEN
    sandbox.injectFault({ ...fault, match: { method: 'POST', route: 'credentials' } });

    // WHEN
    const failure = await failureOf(
      leaf.createCredential(userId, 'cnhi', canaryCredentials(), budget),
    );

    // THEN
    expect(failure).toMatchObject({ reason, retryable });
    expect(`${failure.message} ${JSON.stringify(failure.details)}`).not.toContain('CANARY');
  });

  it('ends a call within its budget whatever Leaf does', async () => {
    // GIVEN Leaf never answers reads, and the call is given 1.5 s
    sandbox.injectFault({ kind: 'hang', match: { method: 'GET' } });
    const client = new LeafClient({
      baseUrl: sandbox.url,
      requestTimeoutMs: 10_000,
      apiOwner: async () => owner,
    });

    // WHEN
    const started = Date.now();
    const failure = await failureOf(client.getCredential(userId, 'cnhi', { budgetMs: 1_500 }));

    // THEN
    expect(failure.reason).toBe('LEAF_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('does not send a DELETE again inside the call when the first may still be applied', async () => {
    // GIVEN a credential, and Leaf applying the next DELETE only after the client gave up
    await leaf.createCredential(userId, 'cnhi', canaryCredentials(), budget);
    sandbox.injectFault({
      kind: 'latency',
      ms: 1_300,
      times: 1,
      match: { method: 'DELETE', route: 'credentials' },
    });

    // WHEN
    const failure = await failureOf(leaf.deleteCredential(userId, 'cnhi', budget));

    // THEN the failure goes to the caller, whose retry reads Leaf first, after one attempt only
    expect(failure).toMatchObject({ reason: 'LEAF_TIMEOUT', retryable: true });
    await sleep(600); // until the late DELETE has landed
    expect(sandbox.stats().writes.delete).toBe(1);
    expect(sandbox.stats().log.filter((entry) => entry.method === 'DELETE')).toHaveLength(1);
  });

  it('reads again inside the call when a GET times out', async () => {
    // GIVEN Leaf answers the first GET only after the client gave up
    sandbox.injectFault({
      kind: 'latency',
      ms: 1_300,
      times: 1,
      match: { method: 'GET', route: 'credentials' },
    });

    // WHEN
    const held = await leaf.getCredential(userId, 'cnhi', budget);

    // THEN
    expect(held).toBeUndefined();
    expect(sandbox.stats().log.filter((entry) => entry.method === 'GET')).toHaveLength(2);
  });

  it('treats a DELETE of an absent credential as done', async () => {
    // GIVEN no credential

    // WHEN
    const result = await leaf.deleteCredential(userId, 'cnhi-fieldops', budget);

    // THEN
    expect(result).toBe('absent');
  });
});
