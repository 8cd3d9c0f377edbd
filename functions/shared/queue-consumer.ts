import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { sendToDeadLetterQueue } from './dead-letter';
import type { ConsumerConfig } from './env';
import {
  PermanentError,
  type ProvisionerError,
  TransientError,
  toProvisionerError,
} from './errors';
import { createKeyedLimiter } from './keyed-limiter';
import { mayStillLand } from './leaf-errors';
import { logger as rootLogger } from './logger';
import { publishMetrics, recordColdStart, recordOutcome } from './metrics';
import { createOutcomeDelivery } from './outcome-delivery';
import type { OutcomePublisher } from './outcome-events';
import { refusedEvent, settledEvent, staleEvent } from './request-outcome-events';
import {
  type CredentialRequest,
  type Operation,
  type ParseResult,
  parseCredentialRequest,
} from './requests';
import { retryDelaySeconds } from './retry-delay';
import type { Outcome, StatusStore } from './status-store';

/** What a request's work may use while it runs. */
export interface WorkContext<P = undefined> {
  readonly logger: Logger;
  /** Milliseconds a call to Leaf may still take, leaving time to record the outcome. */
  readonly budgetMs: () => number;
  /** What `prepare` read beside the claim; rejects with its failure, met only by the work. */
  readonly prepared: Promise<P>;
}

/** The part that differs between provisioning and deprovisioning: what to do at Leaf. */
export type RequestWork<P = undefined> = (
  request: CredentialRequest,
  context: WorkContext<P>,
) => Promise<Outcome>;

export interface QueueConsumerOptions<P = undefined> {
  readonly operation: Operation;
  readonly config: ConsumerConfig;
  readonly work: RequestWork<P>;
  /**
   * A read the work needs, started at the same time as the claim so their round trips overlap.
   * It must have no effect outside this execution environment: a record that then turns out to
   * be a duplicate, stale or busy drops what it read, and its failure too.
   */
  readonly prepare?: (request: CredentialRequest) => Promise<P>;
  /**
   * Refuses a parsed request before anything about it is stored, by throwing a PermanentError: a
   * refused request is recorded by its identity only, so a value that failed the check (a secret
   * pasted where its name belongs, say) reaches neither the status record nor the history.
   */
  readonly check?: (request: CredentialRequest) => void;
  readonly store: StatusStore;
  readonly sqs: SQSClient;
  /** Receives every request's outcome, before its message is acknowledged (outcome-delivery.ts). */
  readonly events: OutcomePublisher;
  /** How long a Leaf request asked now would wait for its pace slot (leaf-client.ts). */
  readonly leafPaceWaitMs?: () => number;
}

/** Kept back from Leaf calls to record the outcome and, if need be, dead-letter the message. */
const reserveMs = 3_000;
/** A lease outlives the invocation a little, so a crashed one cannot block the key for long. */
const leaseMarginMs = 5_000;
/** A record that cannot start, or finds its key busy, comes back after about this long. */
const shortDelaySeconds = 2;

// Every line about a record carries these, so one query finds all a message went through.
const recordKeys = (record: SQSRecord, parsed: ParseResult, operation: Operation) => {
  const identity = parsed.ok ? parsed.request : parsed.identity;

  return {
    messageId: record.messageId,
    operation,
    leafUserId: identity?.leafUserId,
    provider: identity?.provider,
    ...(parsed.ok
      ? { correlationId: parsed.request.correlationId, attempt: parsed.request.receiveCount }
      : {}),
  };
};

const failureFields = (failure: ProvisionerError) => ({
  reasonCode: failure.reason,
  retryable: failure.retryable,
  reason: failure.message,
  ...failure.details,
});

/**
 * Builds the SQS handler shared by the provisioning and deprovisioning functions. Each record
 * ends in exactly one of: done (recorded, deleted from the queue), dead-lettered at once
 * (permanent failure or last attempt, recorded as FAILED), or left on the queue for a later
 * delivery after a growing delay (transient failure). A record never fails its siblings.
 */
export const createQueueConsumer = <P = undefined>(options: QueueConsumerOptions<P>) => {
  const { config, operation, store, sqs, work } = options;
  const leafPaceWaitMs = options.leafPaceWaitMs ?? (() => 0);
  const outcomes = createOutcomeDelivery(options);

  const delayRedelivery = async (record: SQSRecord, seconds: number, log: Logger) => {
    try {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: config.sourceQueueUrl,
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    } catch (error) {
      // The queue's own visibility timeout still brings the message back, only later.
      log.warn('retry delay not set', {
        errorType: error instanceof Error ? error.name : 'unknown',
      });
    }
  };

  const deadLetter = async (
    record: SQSRecord,
    failure: ProvisionerError,
    log: Logger,
    requestedAt?: string,
  ) => {
    await sendToDeadLetterQueue(sqs, config.deadLetterQueueUrl, record, failure, requestedAt);
    log.error('request dead-lettered', failureFields(failure));
    recordOutcome(operation, { kind: 'failed', reasonCode: failure.reason });
  };

  // Leaves the record on the queue for a while: it has not started, so no attempt is spent.
  const defer = async (
    record: SQSRecord,
    failure: TransientError,
    log: Logger,
    seconds = shortDelaySeconds,
  ) => {
    await delayRedelivery(record, seconds, log);
    log.info('request deferred', { ...failureFields(failure), retryInSeconds: seconds });

    return failure;
  };

  const refuse = async (
    record: SQSRecord,
    parsed: Extract<ParseResult, { ok: false }>,
    log: Logger,
  ) => {
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount) || 1;
    if (parsed.identity) {
      const request: CredentialRequest = {
        ...parsed.identity,
        operation,
        messageId: record.messageId,
        receiveCount,
      };
      if (await outcomes.replay(record, request, log)) {
        // The replay dead-letters the refused message again.
        recordOutcome(operation, { kind: 'failed', reasonCode: parsed.error.reason });
        return;
      }
      await store.recordRefused(request, parsed.error.reason, parsed.error.message);
    }
    const event = refusedEvent(
      record.messageId,
      operation,
      receiveCount,
      parsed.error,
      parsed.identity,
    );
    await outcomes.announce(record, event, log, receiveCount);
    await deadLetter(record, parsed.error, log, parsed.identity?.requestedAt);
  };

  const processRecord = async (
    record: SQSRecord,
    parsed: ParseResult,
    context: Context,
    log: Logger,
  ): Promise<void> => {
    if (!parsed.ok) {
      await refuse(record, parsed, log);
      return;
    }
    const { request } = parsed;

    // A record that would queue for its first Leaf slot past the point where a whole attempt still
    // fits is deferred now, before it takes the lease, rather than left to time out mid-way.
    const remainingMs = context.getRemainingTimeInMillis();
    if (remainingMs < reserveMs + config.leafRequestTimeoutMs + leafPaceWaitMs()) {
      throw await defer(
        record,
        new TransientError('NOT_ENOUGH_TIME', 'too little time left to start the request'),
        log,
      );
    }

    if (await outcomes.replay(record, request, log)) {
      // An earlier delivery settled it; counted like any redelivery of a settled message.
      recordOutcome(operation, { kind: 'skippedDuplicate' });
      return;
    }
    const prepared = options.prepare ? options.prepare(request) : Promise.resolve(undefined as P);
    // Handled here so a record that never runs its work leaves no unhandled rejection behind; the
    // work still sees the failure when it awaits `prepared`.
    prepared.catch(() => undefined);
    const claim = await store.claim(request, remainingMs + leaseMarginMs);
    // A copy of a message that failed for good ends as it did: dead-lettered with its reason.
    if (
      claim.kind === 'duplicate' &&
      claim.current.state === 'FAILED' &&
      (await outcomes.replay(record, request, log, true))
    ) {
      recordOutcome(operation, { kind: 'skippedDuplicate' });
      return;
    }
    if (claim.kind === 'duplicate') {
      // Safe: a duplicate's record holds this message's own end.
      await outcomes.announceDone(
        record,
        settledEvent(request, claim.current as Outcome),
        log,
        request,
      );
      log.info('duplicate delivery skipped');
      recordOutcome(operation, { kind: 'skippedDuplicate' });
      return;
    }
    if (claim.kind === 'stale') {
      await store.recordStale(request, claim.current);
      await outcomes.announceDone(record, staleEvent(request, claim.current), log, request);
      log.info('stale request skipped', { appliedRequestedAt: claim.current.requestedAt });
      recordOutcome(operation, { kind: 'skippedStale' });
      return;
    }
    if (claim.kind === 'busy') {
      // A lease held after a failed write ends at a known time; coming back once, after it, spends
      // fewer of this message's receives than asking every few seconds.
      const { state, leaseExpiresAt } = claim.current;
      const heldSeconds =
        state === 'RETRYING' && leaseExpiresAt
          ? Math.ceil((leaseExpiresAt - Date.now()) / 1000)
          : 0;
      throw await defer(
        record,
        new TransientError('RECORD_BUSY', 'another request for this user and provider is running'),
        log,
        Math.max(shortDelaySeconds, heldSeconds),
      );
    }

    let outcome: Outcome;
    try {
      outcome = await work(request, {
        logger: log,
        budgetMs: () => context.getRemainingTimeInMillis() - reserveMs,
        prepared,
      });
    } catch (error) {
      const failure = toProvisionerError(error);
      const lastAttempt = request.receiveCount >= config.maxAttempts;
      if (failure.retryable && !lastAttempt) {
        // A write that may still land keeps the key from newer requests for one more request
        // timeout: long enough for Leaf to finish what it started, so that whatever runs next reads
        // its effect instead of being undone by it.
        const holdMs = mayStillLand(failure) ? config.leafRequestTimeoutMs : 0;
        await store.recordRetry(request, failure.reason, failure.message, holdMs);
        // NOT_ENOUGH_TIME here means the Leaf client found no pace slot before the deadline: the
        // request is only deferred, so it comes back as soon as a record that could not start.
        const delay =
          failure.reason === 'NOT_ENOUGH_TIME'
            ? shortDelaySeconds
            : retryDelaySeconds(
                request.receiveCount,
                {
                  baseSeconds: config.retryBaseDelaySeconds,
                  maxSeconds: config.retryMaxDelaySeconds,
                },
                failure instanceof TransientError ? failure.retryAfterSeconds : undefined,
              );
        await delayRedelivery(record, delay, log);
        log.warn('request will be retried', { ...failureFields(failure), retryInSeconds: delay });
        throw failure;
      }
      const failed: Outcome = {
        state: 'FAILED',
        reasonCode: failure.reason,
        reasonMessage: failure.message,
      };
      await store.complete(request, failed);
      await outcomes.announce(record, settledEvent(request, failed), log, request.receiveCount);
      await deadLetter(record, failure, log, request.requestedAt);
      return;
    }

    await store.complete(request, outcome);
    await outcomes.announceDone(record, settledEvent(request, outcome), log, request);
    log.info('request completed', {
      state: outcome.state,
      action: outcome.action,
      leafStatus: outcome.leafStatus,
      credentialId: outcome.credentialId,
    });
    recordOutcome(operation, { kind: 'completed', outcome });
  };

  const checked = (parsed: ParseResult): ParseResult => {
    if (!parsed.ok || !options.check) {
      return parsed;
    }
    const { leafUserId, provider, requestedAt } = parsed.request;
    try {
      options.check(parsed.request);

      return parsed;
    } catch (error) {
      if (!(error instanceof PermanentError)) {
        throw error;
      }

      return { ok: false, error, identity: { leafUserId, provider, requestedAt } };
    }
  };

  // Module scope in Lambda builds the handler once per execution environment.
  let coldStart = true;

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    if (coldStart) {
      coldStart = false;
      recordColdStart(operation);
    }
    // Per invocation: the processor keeps the batch's state, and a local runner may invoke the
    // handler concurrently.
    const processor = new BatchProcessor(EventType.SQS);
    const limited = createKeyedLimiter(config.recordConcurrency);

    try {
      return await processPartialResponse(
        event,
        (record: SQSRecord) => {
          const parsed = checked(parseCredentialRequest(record, operation));
          const key = parsed.ok
            ? `${parsed.request.leafUserId}#${parsed.request.provider}`
            : record.messageId;
          const log = rootLogger.createChild({
            persistentKeys: recordKeys(record, parsed, operation),
          });

          return limited(key, async () => {
            try {
              await processRecord(record, parsed, context, log);
            } catch (error) {
              const failure = toProvisionerError(error);
              if (failure.reason === 'INTERNAL_ERROR' || failure.reason === 'AWS_UNAVAILABLE') {
                log.error('record failed', failureFields(failure));
              }
              // Thrown means reported as a batch item failure: SQS delivers the record again.
              recordOutcome(operation, { kind: 'retried', reasonCode: failure.reason });
              throw failure;
            }
          });
        },
        processor,
        { context, throwOnFullBatchFailure: false },
      );
    } finally {
      publishMetrics();
    }
  };
};
