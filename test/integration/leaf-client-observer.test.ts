import { randomUUID } from 'node:crypto';
import {
  type LeafCallObservation,
  LeafClient,
  type LeafClientObserver,
} from '../../functions/shared/leaf-client';
import type { LeafSandbox } from '../../local/leaf-sandbox/server';
import { startLeafSandbox } from '../../local/leaf-sandbox/server';

const owner = { username: 'owner@example.test', password: 'CANARY-owner-password' };
const budget = { budgetMs: 5_000 };

/** The Leaf client's observer hooks, against the Leaf sandbox over loopback. */
describe('LeafClient observer', () => {
  let sandbox: LeafSandbox;
  let userId: string;
  let calls: LeafCallObservation[];
  let tokens: number;

  const newClient = (observer: LeafClientObserver, requestTimeoutMs = 1_000) =>
    new LeafClient({
      baseUrl: sandbox.url,
      requestTimeoutMs,
      apiOwner: async () => owner,
      observer,
    });

  const recording: LeafClientObserver = {
    onCall: (observation) => calls.push(observation),
    onTokenIssued: () => {
      tokens += 1;
    },
  };

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
    calls = [];
    tokens = 0;
  });

  it('reports the token request and the call with their statuses when a read succeeds', async () => {
    // GIVEN
    const leaf = newClient(recording);

    // WHEN
    await leaf.getCredential(userId, 'cnhi', budget);

    // THEN
    expect(calls.map(({ call, status }) => `${call} ${status}`)).toEqual([
      'AUTHENTICATE 200',
      'GET 404',
    ]);
    expect(calls.every(({ durationMs }) => durationMs >= 0 && durationMs < 1_000)).toBe(true);
    expect(tokens).toBe(1);
    expect(JSON.stringify(calls)).not.toContain(userId);
  });

  it('reports every attempt when ky retries a read', async () => {
    // GIVEN
    const leaf = newClient(recording);
    sandbox.injectFault({ kind: 'status', status: 503, times: 1, match: { method: 'GET' } });

    // WHEN
    await leaf.getCredential(userId, 'cnhi', budget);

    // THEN
    expect(calls.filter((c) => c.call === 'GET').map((c) => c.status)).toEqual([503, 404]);
  });

  it('reports TIMEOUT when an attempt gets no answer in time', async () => {
    // GIVEN
    const leaf = newClient(recording, 300);
    sandbox.injectFault({ kind: 'hang', times: 1, match: { method: 'GET' } });

    // WHEN
    await leaf.getCredential(userId, 'cnhi', budget);

    // THEN
    const reads = calls.filter((c) => c.call === 'GET');
    expect(reads.map((c) => c.status)).toEqual(['TIMEOUT', 404]);
    expect(reads[0]?.durationMs).toBeGreaterThanOrEqual(250);
  });

  it('reports a new token when Leaf expired the old one', async () => {
    // GIVEN
    const leaf = newClient(recording);
    await leaf.getCredential(userId, 'cnhi', budget);
    sandbox.expireTokens();

    // WHEN
    await leaf.getCredential(userId, 'cnhi', budget);

    // THEN
    expect(tokens).toBe(2);
    expect(calls.map(({ call, status }) => `${call} ${status}`)).toEqual([
      'AUTHENTICATE 200',
      'GET 404',
      'GET 401',
      'AUTHENTICATE 200',
      'GET 404',
    ]);
  });

  it('completes the call when the observer throws', async () => {
    // GIVEN
    const leaf = newClient({
      onCall: () => {
        throw new Error('metrics are broken');
      },
      onTokenIssued: () => {
        throw new Error('metrics are broken');
      },
    });

    // WHEN
    const held = leaf.getCredential(userId, 'cnhi', budget);

    // THEN
    await expect(held).resolves.toBeUndefined();
  });
});
