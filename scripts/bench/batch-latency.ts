import { envNames } from '../../functions/shared/env-names';
import { type BenchEnvironment, sqsRecord } from './environment';
import { benchHandler, expectNoFailures } from './provision-handler';
import { median } from './stats';
import { batchSize, leafCallsPerRecord } from './throughput-model';

export interface BatchLatencyResult {
  readonly latencyMs: number;
  /** One record's unavoidable Leaf time: {@link leafCallsPerRecord} × latency. */
  readonly floorMs: number;
  /** A batch of one record. */
  readonly singleRecordMs: number;
  /** A batch of {@link batchSize} records for distinct users, at the default recordConcurrency. */
  readonly batchMs: number;
  /**
   * The same batch with Leaf answering at once: what the AWS calls (moto, which serves one call
   * at a time) and our code take. `batchMs − batchAtZeroMs` is the part Leaf's latency adds.
   */
  readonly batchAtZeroMs: number;
  /** The same batch with recordConcurrency 5: two rounds, so about twice the floor. */
  readonly boundedBatchMs: number;
  /** A batch whose first two records share a user and provider; the second is then unchanged. */
  readonly sameKeyBatchMs: number;
  /** Records of those batches that failed; a pair run side by side would fail as busy. */
  readonly sameKeyFailures: number;
  /** Whether the later record of each pair was the one applied last. */
  readonly sameKeyOrderKept: boolean;
}

/**
 * Times whole batches through one warm provision handler while the sandbox answers every Leaf
 * call after `latencyMs`. Each kind of batch takes its turn in every repetition, so noise on the
 * shared machine spreads over all of them alike.
 */
export const measureBatchLatency = async (
  env: BenchEnvironment,
  latencyMs: number,
  repetitions: number,
): Promise<BatchLatencyResult> => {
  const base = env.provisionEnv();
  const handler = benchHandler(base);
  const bounded = benchHandler({ ...base, [envNames.recordConcurrency]: '5' });
  env.sandbox.setLatency(latencyMs);
  const single: number[] = [];
  const batch: number[] = [];
  const batchAtZero: number[] = [];
  const boundedBatch: number[] = [];
  const sameKey: number[] = [];
  let sameKeyFailures = 0;
  let sameKeyOrderKept = true;

  try {
    // Warm: the token, the connection pools and the JIT, as in any but the first invocation.
    await handler.invoke(env.provisionBatch(batchSize));
    await bounded.invoke(env.provisionBatch(batchSize));
    await env.clearStatusTable();

    for (let rep = 0; rep < repetitions; rep++) {
      const one = await handler.invoke(env.provisionBatch(1));
      expectNoFailures(one.answer, 'single record');
      single.push(one.ms);
      await env.clearStatusTable();

      const full = await handler.invoke(env.provisionBatch(batchSize));
      expectNoFailures(full.answer, 'batch');
      batch.push(full.ms);
      await env.clearStatusTable();

      env.sandbox.setLatency(0);
      const instant = await handler.invoke(env.provisionBatch(batchSize));
      env.sandbox.setLatency(latencyMs);
      expectNoFailures(instant.answer, 'batch at 0 ms');
      batchAtZero.push(instant.ms);
      await env.clearStatusTable();

      const two = await bounded.invoke(env.provisionBatch(batchSize));
      expectNoFailures(two.answer, 'bounded batch');
      boundedBatch.push(two.ms);
      await env.clearStatusTable();

      const user = env.newUser();
      const event = env.provisionBatch(batchSize, [user]);
      const later = sqsRecord({ leafUserId: user, secretId: env.growerSecretIds[0] });
      event.Records.splice(1, 0, later);
      event.Records.pop();
      const pair = await handler.invoke(event);
      sameKeyFailures += pair.answer.batchItemFailures.length;
      const record = await handler.runtime.store.get(user, 'cnhi');
      sameKeyOrderKept &&= record?.lastMessageId === later.messageId;
      sameKey.push(pair.ms);
      await env.clearStatusTable();
    }
  } finally {
    env.sandbox.setLatency(0);
  }

  return {
    latencyMs,
    floorMs: leafCallsPerRecord * latencyMs,
    singleRecordMs: median(single),
    batchMs: median(batch),
    batchAtZeroMs: median(batchAtZero),
    boundedBatchMs: median(boundedBatch),
    sameKeyBatchMs: median(sameKey),
    sameKeyFailures,
    sameKeyOrderKept,
  };
};
