import type { ReasonCode } from './errors';

/**
 * The product's CloudWatch metrics: the functions emit them (metrics.ts) and the stack charts and
 * alarms on them (lib/constructs/operations-dashboard.ts), so both read the names from here.
 */
export const metricNamespace = 'LeafCnhiProvisioner';

/** Metric names. Every one carries the `service` dimension; see each for the others. */
export const metricNames = {
  /** Record deliveries a consumer handled, whatever their end; by `operation`. */
  requestsHandled: 'RequestsHandled',
  /** Requests that left Leaf holding the grower's credentials; by `operation`, and by `action`. */
  credentialsProvisioned: 'CredentialsProvisioned',
  /** Requests that left Leaf without the credential; by `operation`, and by `action`. */
  credentialsRemoved: 'CredentialsRemoved',
  /** Requests skipped because a newer one for the same user and provider was applied. */
  requestsSkippedStale: 'RequestsSkippedStale',
  /** Redeliveries of a message that was applied already. */
  duplicatesSkipped: 'DuplicatesSkipped',
  /**
   * Requests recorded FAILED and dead-lettered; by `operation`, and by `reasonCode`. Every handled
   * record adds to it (0 or 1) by `operation`, so an error rate always has a numerator.
   */
  requestsFailed: 'RequestsFailed',
  /** Deliveries left on the queue for a later attempt; by `operation`, and by `reasonCode`. */
  requestsRetried: 'RequestsRetried',
  /** Milliseconds to Leaf's response headers, per HTTP attempt; by `method`. */
  leafLatency: 'LeafLatency',
  /** HTTP attempts to Leaf; by `method` and `status` (a status class). */
  leafResponses: 'LeafResponses',
  /** Bearer tokens obtained from Leaf, the first of each execution environment included. */
  leafTokenRenewals: 'LeafTokenRenewals',
  /** First invocations of an execution environment; by `operation`. */
  coldStart: 'ColdStart',
  /** Audits answered; by `operation` (AUDIT), and by `agreement`. */
  auditsAnswered: 'AuditsAnswered',
  /** Audits that ended in an error answer; by `operation` (AUDIT), and by `reasonCode`. */
  auditsFailed: 'AuditsFailed',
  /** Webhook calls answered; by `result` (webhook-receiver.ts lists the values). */
  webhookCalls: 'WebhookCalls',
  /** Records the last scheduled audit compared with Leaf. */
  auditedCredentials: 'AuditedCredentials',
  /** Credentials the last scheduled audit found at Leaf with a status other than OK. */
  unhealthyCredentials: 'UnhealthyCredentials',
  /** Records the last scheduled audit found differing from Leaf (agreement DIFFERS). */
  driftedCredentials: 'DriftedCredentials',
  /** Records the last scheduled audit could not read from Leaf, or left for lack of time. */
  auditRecordsMissed: 'AuditRecordsMissed',
} as const;

/** Dimension names. Each takes values from a short fixed list; none ever holds an id. */
export const metricDimensions = {
  service: 'service',
  /** PROVISION, DEPROVISION or AUDIT. */
  operation: 'operation',
  /** What a finished request did at Leaf (CREATED, REPLACED, UNCHANGED, REMOVED, ALREADY_ABSENT). */
  action: 'action',
  /** A reason code of functions/shared/errors.ts. */
  reasonCode: 'reasonCode',
  /** GET, POST, DELETE, or AUTHENTICATE for the token request. */
  method: 'method',
  /** 2xx, 3xx, 4xx, 429, 5xx, TIMEOUT or NETWORK. */
  status: 'status',
  /** AGREES, DIFFERS or UNSETTLED. */
  agreement: 'agreement',
  /** How a webhook call was answered: recorded, duplicate, unauthorized, … */
  result: 'result',
} as const;

/** Reasons that mean Leaf or the API-owner secret refuses the product: no request can succeed. */
export const leafAuthReasons = [
  'LEAF_AUTH_REJECTED',
  'API_OWNER_SECRET_INVALID',
  'LEAF_UNAUTHORIZED',
] as const satisfies readonly ReasonCode[];
