/**
 * Leaf calls one provisioning record cannot do without, one after the other: GET (what does Leaf
 * hold?) then POST. Leaf documents no answer to a POST over an existing credential, so the GET
 * cannot be skipped (functions/shared/provisioning.ts), and the POST needs its answer.
 */
export const leafCallsPerRecord = 2;

/** Records per SQS batch, as the stack configures the event source (lib/config.ts). */
export const batchSize = 10;

/** Leaf's draft rate limit, per API owner. */
export const leafRequestsPerMinuteLimit = 1000;

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
  /** Records a minute with nothing but concurrency and latency to stop them. */
  readonly recordsPerMinute: number;
  /** Leaf requests a minute that would take, at 2 requests a record (3 when replacing). */
  readonly leafRequestsPerMinute: number;
  /** What the product can do under Leaf's limit: the lesser of the two. */
  readonly sustainedPerMinute: number;
  readonly bindsOn: 'Leaf limit' | 'concurrency';
}

/**
 * Records a minute for `maxConcurrency` invocations, each running `recordConcurrency` records of
 * its batch at once: a batch takes ceil(batchSize / recordConcurrency) rounds of one record's time,
 * and a record takes its Leaf calls in a row plus the measured overhead. Leaf's rate limit then
 * caps the result at 1000 / (requests per record) records a minute.
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
  const limited = leafRequestsPerMinuteLimit / inputs.leafCallsPerRecord;

  return {
    maxConcurrency,
    recordConcurrency,
    latencyMs,
    recordsPerMinute,
    leafRequestsPerMinute,
    sustainedPerMinute: Math.min(recordsPerMinute, limited),
    bindsOn: recordsPerMinute > limited ? 'Leaf limit' : 'concurrency',
  };
};

/**
 * Records Leaf's limit allows in flight at once: a record in flight makes `leafCallsPerRecord`
 * requests per record time, so the limit holds while in-flight records ≤ limit × record time /
 * (60 000 × requests per record). Below 2 (Lambda's least maximum concurrency) no setting of
 * maxConcurrency alone can hold it.
 */
export const recordsInFlightUnderLimit = (inputs: ThroughputInputs, latencyMs: number): number => {
  const recordMs = inputs.leafCallsPerRecord * latencyMs + inputs.recordOverheadMs;

  return (leafRequestsPerMinuteLimit * recordMs) / (60_000 * inputs.leafCallsPerRecord);
};
