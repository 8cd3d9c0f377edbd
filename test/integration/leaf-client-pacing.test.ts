import { randomUUID } from 'node:crypto';
import { isProvisionerError } from '../../functions/shared/errors';
import { LeafClient } from '../../functions/shared/leaf-client';
import {
  createRequestPacer,
  type PaceOptions,
  type RequestPacer,
} from '../../functions/shared/request-pacer';
import { type LeafSandbox, startLeafSandbox } from '../../local/leaf-sandbox/server';

const owner = { username: 'owner@example.test', password: 'CANARY-owner-password' };

/** Wraps a pacer to see every slot the client asks for. */
const watched = (inner: RequestPacer) => {
  const asked: PaceOptions[] = [];
  const pace = Object.assign(
    (options: PaceOptions = {}) => {
      asked.push(options);
      return inner(options);
    },
    { waitMs: inner.waitMs },
  );

  return { pace, asked };
};

/** The Leaf client's pacer against the Leaf sandbox over loopback: real HTTP, real waits. */
describe('LeafClient pacing', () => {
  let sandbox: LeafSandbox;
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
  });

  const clientWith = (pace: RequestPacer, requestTimeoutMs = 1_000) =>
    new LeafClient({ baseUrl: sandbox.url, requestTimeoutMs, apiOwner: async () => owner, pace });

  it('takes at least (N − 1) intervals for N requests, the token request included', async () => {
    // GIVEN 600 a minute: one slot every 100 ms
    const leaf = clientWith(createRequestPacer(600));
    const reads = 6;
    const started = performance.now();

    // WHEN six reads are asked at once from a cold client (one authentication, then the reads)
    await Promise.all(
      Array.from({ length: reads }, () => leaf.getCredential(userId, 'cnhi', { budgetMs: 5_000 })),
    );

    // THEN seven requests reached Leaf, spaced at least 100 ms apart
    const elapsed = performance.now() - started;
    expect(sandbox.stats().requests).toBe(reads + 1);
    expect(elapsed).toBeGreaterThanOrEqual(reads * 100 - 5);
  });

  it('takes a slot for every attempt, retries included', async () => {
    // GIVEN Leaf answers the first read with a 503
    const { pace, asked } = watched(createRequestPacer(60_000));
    const leaf = clientWith(pace);
    sandbox.injectFault({ kind: 'status', status: 503, times: 1, match: { route: 'credentials' } });

    // WHEN
    await leaf.getCredential(userId, 'cnhi', { budgetMs: 5_000 });

    // THEN one slot for the token (no deadline), one for each of the two reads
    expect(asked).toHaveLength(3);
    expect(asked[0]?.latestStart).toBeUndefined();
    expect(asked[1]?.latestStart).toEqual(expect.any(Number));
    expect(asked[2]?.latestStart).toEqual(expect.any(Number));
  });

  it('fails with NOT_ENOUGH_TIME, without a request, when no slot leaves a whole attempt before the deadline', async () => {
    // GIVEN a pacer whose next free slot is 5 s away for calls with a deadline
    const backlog: RequestPacer = Object.assign(
      async (options: PaceOptions = {}) =>
        options.latestStart === undefined || options.latestStart >= Date.now() + 5_000,
      { waitMs: () => 5_000 },
    );
    const leaf = clientWith(backlog, 1_000);

    // WHEN a read must end within 2 s
    const failure = await leaf.getCredential(userId, 'cnhi', { budgetMs: 2_000 }).then(
      () => undefined,
      (error: unknown) => error,
    );

    // THEN it is refused at once as retryable; Leaf saw only the token request
    expect(isProvisionerError(failure) && failure.reason).toBe('NOT_ENOUGH_TIME');
    expect(isProvisionerError(failure) && failure.retryable).toBe(true);
    expect(sandbox.stats().requests).toBe(1);
  });
});
