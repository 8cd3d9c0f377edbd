import pLimit from 'p-limit';

/**
 * Runs tasks at most `concurrency` at a time, and tasks that share a key one after another in the
 * order they were submitted. Records of one batch for the same user and provider must not overlap
 * or swap places; records for different users should not wait for each other.
 */
export const createKeyedLimiter = (concurrency: number) => {
  const limit = pLimit(concurrency);
  const tails = new Map<string, Promise<unknown>>();

  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    // The slot is taken only once the key's earlier task is done, so a waiting task holds no slot.
    const run = previous.then(() => limit(task));
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) {
        tails.delete(key);
      }
    });

    return run;
  };
};
