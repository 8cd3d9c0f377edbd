/**
 * Names of the environment variables the functions read. The stack sets them from construct
 * attributes; the local runner sets them from the resources it creates in the emulator.
 */
export const envNames = {
  /** Leaf's API root, for example `https://api.withleaf.io`. */
  leafApiBaseUrl: 'LEAF_API_BASE_URL',
  /** Name or ARN of the secret holding Leaf's API-owner `{ "username", "password" }`. */
  leafApiOwnerSecretId: 'LEAF_API_OWNER_SECRET_ID',
  /** Every grower secret a message may name lies under this name prefix, e.g. `leaf/cnhi/`. */
  growerSecretPrefix: 'GROWER_SECRET_PREFIX',
  /** The DynamoDB status table. */
  statusTableName: 'STATUS_TABLE_NAME',
  /** The queue this function consumes; used to change a failed message's visibility. */
  sourceQueueUrl: 'SOURCE_QUEUE_URL',
  /** The consumed queue's dead-letter queue; permanent failures are moved there at once. */
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  /** Deliveries of one message before it is dead-lettered; equals the redrive maxReceiveCount. */
  maxAttempts: 'MAX_ATTEMPTS',
  /** Upper bound of one HTTP request to Leaf, in milliseconds. */
  leafRequestTimeoutMs: 'LEAF_REQUEST_TIMEOUT_MS',
  /** First retry delay of a transient failure, in seconds; doubled per attempt with jitter. */
  retryBaseDelaySeconds: 'RETRY_BASE_DELAY_SECONDS',
  /** Cap on any retry delay, in seconds (SQS allows at most 43200). */
  retryMaxDelaySeconds: 'RETRY_MAX_DELAY_SECONDS',
  /** Records of one batch processed at the same time. */
  recordConcurrency: 'RECORD_CONCURRENCY',
  /**
   * Leaf requests a minute one execution environment may make: its share of Leaf's rate limit,
   * computed by the stack (lib/config.ts). Unset: unpaced, as local tools run.
   */
  leafRequestsPerMinute: 'LEAF_REQUESTS_PER_MINUTE',
  /** Name or ARN of the secret holding the key Leaf signs webhook calls with. */
  webhookSecretId: 'LEAF_WEBHOOK_SECRET_ID',
  /** Leaf requests per minute the scheduled audit may make (Leaf's own limit is shared). */
  auditRequestsPerMinute: 'AUDIT_REQUESTS_PER_MINUTE',
  /** Leaf requests the scheduled audit keeps in flight at once. */
  auditConcurrency: 'AUDIT_CONCURRENCY',
  /** The EventBridge bus that receives every request's outcome event. */
  outcomeEventBusName: 'OUTCOME_EVENT_BUS_NAME',
  /** The provisioning queue, for functions that enqueue requests (the secret-change trigger). */
  provisioningQueueUrl: 'PROVISIONING_QUEUE_URL',
} as const;
