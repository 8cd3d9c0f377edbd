import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { ConfigurationError } from './env';
import { envNames } from './env-names';
import { TransientError } from './errors';
import { isProvider, type Provider } from './providers';
import type { Operation } from './requests';
import type { LeafAction } from './status-store';

/** The `source` of every event the product publishes. */
export const outcomeEventSource = 'leaf-cnhi-provisioner';

/**
 * The `detail-type` of an outcome event: one per way a request can end, plus the audit's drift.
 * Consumers match on these names, so they never change meaning; a new kind gets a new name.
 */
export const outcomeTypes = [
  'CredentialProvisioned',
  'CredentialRemoved',
  'RequestFailed',
  'RequestSkippedStale',
  'DriftFound',
] as const;

export type OutcomeType = (typeof outcomeTypes)[number];

/** Bumped only for a change a consumer could trip over (a field removed or its meaning changed). */
export const outcomeSchemaVersion = 1;

/**
 * What happened, as a caller hands it to {@link OutcomePublisher.publish}. Every field is an id, a
 * code, a time or a short text the product wrote itself: never a secret and never a message body.
 * The publisher copies the fields one by one, so anything else on the object is dropped.
 */
export interface OutcomeEvent {
  readonly type: OutcomeType;
  /** Absent only when a message named no valid Leaf user. */
  readonly leafUserId?: string;
  readonly provider?: Provider;
  readonly operation?: Operation;
  readonly requestedAt?: string;
  readonly correlationId?: string;
  /** The SQS message id of the request; consumers deduplicate on it. */
  readonly messageId?: string;
  /** Deliveries of the message when it settled. */
  readonly attempts?: number;
  readonly credentialId?: string;
  /** Leaf's `status` of the credential, opaque: `OK` is healthy. */
  readonly leafStatus?: string;
  readonly action?: LeafAction;
  readonly reasonCode?: string;
  readonly reasonMessage?: string;
  /** DriftFound: what differs between Leaf and the record, in words. */
  readonly findings?: readonly string[];
  /** When it happened. @default the time of publishing */
  readonly time?: Date;
}

/** Publishes outcome events; resolves only once EventBridge has accepted every one. */
export interface OutcomePublisher {
  publish(events: OutcomeEvent | readonly OutcomeEvent[]): Promise<void>;
}

export interface OutcomePublisherOptions {
  readonly eventBusName: string;
  /** @default a client built once per execution environment */
  readonly client?: EventBridgeClient;
}

// PutEvents takes at most 10 entries a call.
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
const maxEntries = 10;
const idPattern = /^[\w.:/@+=-]{1,128}$/;
const codePattern = /^[A-Z][A-Z0-9_]{0,63}$/;
const operations: readonly string[] = ['PROVISION', 'DEPROVISION'];
const actions: readonly string[] = [
  'CREATED',
  'REPLACED',
  'UNCHANGED',
  'REMOVED',
  'ALREADY_ABSENT',
];

const id = (value: unknown) =>
  typeof value === 'string' && idPattern.test(value) ? value : undefined;
const text = (value: unknown, max: number) =>
  typeof value === 'string' && value.length > 0 ? value.slice(0, max) : undefined;
const oneOf = (value: unknown, allowed: readonly string[]) =>
  typeof value === 'string' && allowed.includes(value) ? value : undefined;

/**
 * The event's `detail`, field by field from an allowlist, each value checked for its shape. A
 * value that does not fit is left out rather than refused: the event still tells what happened.
 */
export const outcomeDetail = (event: OutcomeEvent, time: Date): Record<string, unknown> => {
  const leafUserId = id(event.leafUserId);
  const provider = isProvider(event.provider) ? event.provider : undefined;
  const messageId = id(event.messageId);
  // A request's outcome is unique per message; drift is unique per user, provider and moment.
  const outcomeId = messageId
    ? `${event.type}:${messageId}`
    : `${event.type}:${leafUserId ?? '-'}:${provider ?? '-'}:${time.toISOString()}`;
  const detail: Record<string, unknown> = {
    schemaVersion: outcomeSchemaVersion,
    outcomeId,
    leafUserId,
    provider,
    operation: oneOf(event.operation, operations),
    requestedAt: text(event.requestedAt, 64),
    correlationId: id(event.correlationId),
    messageId,
    attempts: Number.isInteger(event.attempts) ? event.attempts : undefined,
    credentialId: id(event.credentialId),
    leafStatus: text(event.leafStatus, 64),
    action: oneOf(event.action, actions),
    reasonCode:
      typeof event.reasonCode === 'string' && codePattern.test(event.reasonCode)
        ? event.reasonCode
        : undefined,
    reasonMessage: text(event.reasonMessage, 512),
    findings: event.findings?.slice(0, 10).map((finding) => String(finding).slice(0, 256)),
  };

  return Object.fromEntries(Object.entries(detail).filter(([, value]) => value !== undefined));
};

const toEntry = (event: OutcomeEvent, eventBusName: string): PutEventsRequestEntry => {
  const time = event.time && !Number.isNaN(event.time.getTime()) ? event.time : new Date();

  return {
    EventBusName: eventBusName,
    Source: outcomeEventSource,
    DetailType: event.type,
    Detail: JSON.stringify(outcomeDetail(event, time)),
    Time: time,
  };
};

const publishFailure = (failed: number, total: number, cause: string) =>
  new TransientError(
    'AWS_UNAVAILABLE',
    `outcome events not published (${failed} of ${total}, ${cause})`,
    { errorType: cause },
  );

/**
 * A publisher to one bus. Entries EventBridge refuses one by one (throttled, internal failure)
 * are sent once more; what still fails throws a retryable error, so the caller keeps the work
 * that produced the events and publishes them again later.
 */
export const createOutcomePublisher = (options: OutcomePublisherOptions): OutcomePublisher => {
  const client = options.client ?? sharedClient();

  const send = async (entries: PutEventsRequestEntry[]) => {
    let pending = entries;
    let lastError = 'unknown';
    for (let round = 1; round <= 2 && pending.length > 0; round++) {
      let answer: PutEventsCommandOutput;
      try {
        answer = await client.send(new PutEventsCommand({ Entries: pending }));
      } catch (error) {
        const kind = error instanceof Error ? error.name : typeof error;
        throw publishFailure(pending.length, entries.length, kind);
      }
      // Answers line up with the entries sent; only the failed ones carry an ErrorCode.
      const failed = pending.filter((_, i) => answer.Entries?.[i]?.ErrorCode !== undefined);
      lastError = answer.Entries?.find((entry) => entry.ErrorCode)?.ErrorCode ?? lastError;
      pending = failed;
    }
    if (pending.length > 0) {
      throw publishFailure(pending.length, entries.length, lastError);
    }
  };

  return {
    publish: async (events) => {
      const list: readonly OutcomeEvent[] = Array.isArray(events)
        ? events
        : [events as OutcomeEvent];
      const entries = list.map((event) => toEntry(event, options.eventBusName));
      for (let start = 0; start < entries.length; start += maxEntries) {
        await send(entries.slice(start, start + maxEntries));
      }
    },
  };
};

let client: EventBridgeClient | undefined;

// Short timeouts: publishing happens in the time kept back to record an outcome, and a publish
// that fails is retried with the record, so waiting long on one buys nothing.
const sharedClient = () => {
  client ??= new EventBridgeClient({
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });

  return client;
};

/** The bus named by `OUTCOME_EVENT_BUS_NAME`; throws when the deployment left it out. */
export const readOutcomeEventBusName = (
  env: Readonly<Record<string, string | undefined>>,
): string => {
  const name = env[envNames.outcomeEventBusName]?.trim();
  if (!name) {
    throw new ConfigurationError(
      `environment variable ${envNames.outcomeEventBusName} is required`,
    );
  }

  return name;
};

let fromEnvironment: OutcomePublisher | undefined;

/**
 * Publishes to the bus the function's environment names, with the shared client: the one call a
 * function needs (the webhook receiver and the scheduled audit publish `DriftFound` this way).
 * Throws a retryable error when EventBridge does not take the event.
 */
export const publishOutcome = (event: OutcomeEvent | readonly OutcomeEvent[]): Promise<void> => {
  fromEnvironment ??= createOutcomePublisher({
    eventBusName: readOutcomeEventBusName(process.env),
  });

  return fromEnvironment.publish(event);
};
