import { consumerLeafRequestsPerMinute, consumerQueues, defaultConfig } from '../../lib/config';

/**
 * Leaf calls one provisioning record cannot do without, one after the other: GET (what does Leaf
 * hold?) then POST. Leaf documents no answer to a POST over an existing credential, so the GET
 * cannot be skipped (functions/shared/provisioning.ts), and the POST needs its answer.
 */
export const leafCallsPerRecord = 2;

/** Records per SQS batch, as the stack configures the event source (lib/config.ts). */
export const batchSize = 10;

/** Leaf's draft rate limit, per API owner: the stack's default `leafRateLimitPerMinute`. */
export const leafRequestsPerMinuteLimit = defaultConfig.leafRateLimitPerMinute;

/** Inputs of the model, all measured by the bench except the settings. */
export interface ThroughputInputs {
  /** Leaf calls one record makes in a row (GET then POST). */
  readonly leafCallsPerRecord: number;
  /** One record's time beyond Leaf's: the AWS calls and our own code, measured at 0 ms Leaf. */
  readonly recordOverheadMs: number;
  readonly batchSize: number;
}

/** One setting of the model. */
export interface ThroughputRow {
  readonly maxConcurrency: number;
  readonly recordConcurrency: number;
  readonly latencyMs: number;
  /** Records a minute of one queue with nothing but concurrency and latency to stop them. */
  readonly recordsPerMinute: number;
  /** Leaf requests a minute that would take, at 2 requests a record (3 when replacing). */
  readonly leafRequestsPerMinute: number;
  /** Leaf requests a minute the stack lets each consumer execution environment make. */
  readonly pacerSharePerMinute: number;
  /** Records a minute of one queue that the pacers of its environments let through. */
  readonly pacerRecordsPerMinute: number;
  /** What one queue does: the lesser of the two. */
  readonly sustainedPerMinute: number;
  /** Leaf requests a minute of both queues running flat out at `sustainedPerMinute`. */
  readonly bothQueuesLeafRequestsPerMinute: number;
  readonly bindsOn: 'pacer' | 'concurrency';
}

/**
 * Records a minute for `maxConcurrency` invocations of one queue, each running `recordConcurrency`
 * records of its batch at once: a batch takes ceil(batchSize / recordConcurrency) rounds of one
 * record's time, and a record takes its Leaf calls in a row plus the measured overhead. Each
 * execution environment's pacer then caps it at its share of Leaf's limit (lib/config.ts), so one
 * queue gets at most maxConcurrency × share / (requests per record) records a minute, whether or
 * not the other queue is busy: the split is static, which is what keeps the sum under the limit.
 */
export const throughput = (
  inputs: ThroughputInputs,
  maxConcurrency: number,
  recordConcurrency: number,
  latencyMs: number,
): ThroughputRow => {
  const recordMs = inputs.leafCallsPerRecord * latencyMs + inputs.recordOverheadMs;
  const batchMs = Math.ceil(inputs.batchSize / recordConcurrency) * recordMs;
  const recordsPerMinute = (maxConcurrency * inputs.batchSize * 60_000) / batchMs;
  const leafRequestsPerMinute = recordsPerMinute * inputs.leafCallsPerRecord;
  const pacerSharePerMinute = consumerLeafRequestsPerMinute({ ...defaultConfig, maxConcurrency });
  const pacerRecordsPerMinute = (maxConcurrency * pacerSharePerMinute) / inputs.leafCallsPerRecord;
  const sustainedPerMinute = Math.min(recordsPerMinute, pacerRecordsPerMinute);

  return {
    maxConcurrency,
    recordConcurrency,
    latencyMs,
    recordsPerMinute,
    leafRequestsPerMinute,
    pacerSharePerMinute,
    pacerRecordsPerMinute,
    sustainedPerMinute,
    bothQueuesLeafRequestsPerMinute:
      consumerQueues * sustainedPerMinute * inputs.leafCallsPerRecord +
      defaultConfig.auditRequestsPerMinute,
    bindsOn: recordsPerMinute > pacerRecordsPerMinute ? 'pacer' : 'concurrency',
  };
};

/**
 * Records Leaf's limit allows in flight at once, the audit's share left out: a record in flight
 * makes `leafCallsPerRecord` requests per record time, so the limit holds while in-flight records
 * ≤ (limit − audit) × record time / (60 000 × requests per record). Below 4 (2 queues × Lambda's
 * least maximum concurrency of 2 × 1 record) no setting of concurrency alone can hold it, and the
 * pacer must.
 */
export const recordsInFlightUnderLimit = (inputs: ThroughputInputs, latencyMs: number): number => {
  const recordMs = inputs.leafCallsPerRecord * latencyMs + inputs.recordOverheadMs;
  const consumersShare = leafRequestsPerMinuteLimit - defaultConfig.auditRequestsPerMinute;

  return (consumersShare * recordMs) / (60_000 * inputs.leafCallsPerRecord);
};
