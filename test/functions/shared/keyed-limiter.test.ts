import fc from 'fast-check';
import { createKeyedLimiter } from '../../../functions/shared/keyed-limiter';
import { type Deferred, deferred, flushPromises } from '../../fixtures/deferred';

/** Tasks whose end the test controls, and a log of which started. */
const controlledTasks = () => {
  const started: string[] = [];
  const gates = new Map<string, Deferred<string>>();
  const task = (name: string) => () => {
    started.push(name);
    const gate = deferred<string>();
    gates.set(name, gate);

    return gate.promise;
  };
  const finish = (name: string) => gates.get(name)?.resolve(name);
  const fail = (name: string, error: Error) => gates.get(name)?.reject(error);

  return { started, task, finish, fail };
};

describe('createKeyedLimiter', () => {
  it('starts a key’s next task only when its previous task has ended', async () => {
    // GIVEN
    const limit = createKeyedLimiter(5);
    const { started, task, finish } = controlledTasks();
    const results = ['a1', 'a2', 'a3'].map((name) => limit('a', task(name)));

    // WHEN
    await flushPromises();
    const first = [...started];
    finish('a1');
    await flushPromises();
    const second = [...started];
    finish('a2');
    await flushPromises();
    finish('a3');

    // THEN
    expect(first).toEqual(['a1']);
    expect(second).toEqual(['a1', 'a2']);
    await expect(Promise.all(results)).resolves.toEqual(['a1', 'a2', 'a3']);
    expect(started).toEqual(['a1', 'a2', 'a3']);
  });

  it('runs tasks of different keys together when the bound allows', async () => {
    // GIVEN
    const limit = createKeyedLimiter(3);
    const { started, task } = controlledTasks();

    // WHEN
    for (const key of ['a', 'b', 'c']) {
      void limit(key, task(key));
    }
    await flushPromises();

    // THEN
    expect(started).toEqual(['a', 'b', 'c']);
  });

  it('holds a task back when the bound is reached', async () => {
    // GIVEN
    const limit = createKeyedLimiter(2);
    const { started, task, finish } = controlledTasks();
    for (const key of ['a', 'b', 'c']) {
      void limit(key, task(key));
    }
    await flushPromises();
    const beforeAnyEnds = [...started];

    // WHEN
    finish('b');
    await flushPromises();

    // THEN
    expect(beforeAnyEnds).toEqual(['a', 'b']);
    expect(started).toEqual(['a', 'b', 'c']);
  });

  it('gives the slot to another key when a task waits for its own key', async () => {
    // GIVEN
    const limit = createKeyedLimiter(2);
    const { started, task } = controlledTasks();

    // WHEN
    void limit('a', task('a1'));
    void limit('a', task('a2'));
    void limit('b', task('b1'));
    await flushPromises();

    // THEN
    expect(started).toEqual(['a1', 'b1']);
  });

  it('runs a key’s next task when the previous task fails', async () => {
    // GIVEN
    const limit = createKeyedLimiter(1);
    const { started, task, finish, fail } = controlledTasks();
    const failing = limit('a', task('a1'));
    const next = limit('a', task('a2'));
    await flushPromises();

    // WHEN
    fail('a1', new Error('Leaf answered 500'));
    await flushPromises();
    finish('a2');

    // THEN
    await expect(failing).rejects.toThrow('Leaf answered 500');
    await expect(next).resolves.toBe('a2');
    expect(started).toEqual(['a1', 'a2']);
  });

  it('rejects with the task’s error when the task throws before awaiting', async () => {
    // GIVEN
    const limit = createKeyedLimiter(1);
    const boom = () => {
      throw new RangeError('bad input');
    };

    // WHEN
    const result = limit('a', boom as () => Promise<never>);

    // THEN
    await expect(result).rejects.toThrow(RangeError);
    await expect(limit('a', async () => 'after')).resolves.toBe('after');
  });

  it('keeps order per key and the bound overall when tasks end in any order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), fails: fc.boolean() }), {
          maxLength: 25,
        }),
        fc.integer({ min: 1, max: 4 }),
        async (scheduler, submissions, concurrency) => {
          // GIVEN
          const limit = createKeyedLimiter(concurrency);
          const started: { key: string; index: number }[] = [];
          const runningKeys = new Set<string>();
          const overlapping: string[] = [];
          let active = 0;
          let peak = 0;

          // WHEN
          const results = submissions.map(({ key, fails }, index) =>
            limit(key, async () => {
              if (runningKeys.has(key)) {
                overlapping.push(key);
              }
              runningKeys.add(key);
              active += 1;
              peak = Math.max(peak, active);
              started.push({ key, index });
              try {
                await scheduler.schedule(Promise.resolve(), `${key}#${index}`);
                if (fails) {
                  throw new Error(`task ${index} failed`);
                }

                return index;
              } finally {
                runningKeys.delete(key);
                active -= 1;
              }
            }),
          );
          const outcomes = await scheduler.waitFor(Promise.allSettled(results));

          // THEN
          expect(overlapping).toEqual([]);
          expect(peak).toBeLessThanOrEqual(concurrency);
          expect(started).toHaveLength(submissions.length);
          for (const key of new Set(submissions.map((submission) => submission.key))) {
            const order = started.filter((run) => run.key === key).map((run) => run.index);
            expect(order).toEqual([...order].sort((x, y) => x - y));
          }
          outcomes.forEach((outcome, index) => {
            expect(outcome.status).toBe(submissions[index]?.fails ? 'rejected' : 'fulfilled');
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
