import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { sendToDeadLetterQueue } from './dead-letter';
import type { ConsumerConfig } from './env';
import { type ProvisionerError, TransientError, toProvisionerError } from './errors';
import { createKeyedLimiter } from './keyed-limiter';
import { logger as rootLogger } from './logger';
import {
  type CredentialRequest,
  type Operation,
  type ParseResult,
  parseCredentialRequest,
} from './requests';
import { retryDelaySeconds } from './retry-delay';
import type { Outcome, StatusStore } from './status-store';

/** What a request's work may use while it runs. */
export interface WorkContext {
  readonly logger: Logger;
  /** Milliseconds a call to Leaf may still take, leaving time to record the outcome. */
  readonly budgetMs: () => number;
}

/** The part that differs between provisioning and deprovisioning: what to do at Leaf. */
export type RequestWork = (request: CredentialRequest, context: WorkContext) => Promise<Outcome>;

export interface QueueConsumerOptions {
  readonly operation: Operation;
  readonly config: ConsumerConfig;
  readonly work: RequestWork;
  readonly store: StatusStore;
  readonly sqs: SQSClient;
}

/** Kept back from Leaf calls to record the outcome and, if need be, dead-letter the message. */
const reserveMs = 3_000;
/** A lease outlives the invocation a little, so a crashed one cannot block the key for long. */
const leaseMarginMs = 5_000;
/** A record that cannot start, or finds its key busy, comes back after about this long. */
const shortDelaySeconds = 2;

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
export const createQueueConsumer = (options: QueueConsumerOptions) => {
  const { config, operation, store, sqs, work } = options;

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
  };

  const refuse = async (
    record: SQSRecord,
    parsed: Extract<ParseResult, { ok: false }>,
    log: Logger,
  ) => {
    if (parsed.identity) {
      const request: CredentialRequest = {
        ...parsed.identity,
        operation,
        messageId: record.messageId,
        receiveCount: Number(record.attributes?.ApproximateReceiveCount) || 1,
      };
      const claim = await store.claim(request, leaseMarginMs);
      if (claim.kind === 'claimed') {
        await store.complete(request, {
          state: 'FAILED',
          reasonCode: parsed.error.reason,
          reasonMessage: parsed.error.message,
        });
      }
    }
    await deadLetter(record, parsed.error, log, parsed.identity?.requestedAt);
  };

  const processRecord = async (
    record: SQSRecord,
    parsed: ParseResult,
    context: Context,
  ): Promise<void> => {
    const log = rootLogger.createChild({
      persistentKeys: {
        messageId: record.messageId,
        operation,
        ...(parsed.ok
          ? {
              leafUserId: parsed.request.leafUserId,
              provider: parsed.request.provider,
              correlationId: parsed.request.correlationId,
              attempt: parsed.request.receiveCount,
            }
          : {}),
      },
    });
    if (!parsed.ok) {
      await refuse(record, parsed, log);
      return;
    }
    const { request } = parsed;

    const remainingMs = context.getRemainingTimeInMillis();
    if (remainingMs < reserveMs + config.leafRequestTimeoutMs) {
      await delayRedelivery(record, shortDelaySeconds, log);
      throw new TransientError('NOT_ENOUGH_TIME', 'too little time left to start the request');
    }

    const claim = await store.claim(request, remainingMs + leaseMarginMs);
    if (claim.kind === 'duplicate') {
      log.info('duplicate delivery skipped');
      return;
    }
    if (claim.kind === 'stale') {
      await store.recordStale(request, claim.current);
      log.info('stale request skipped', { appliedRequestedAt: claim.current.requestedAt });
      return;
    }
    if (claim.kind === 'busy') {
      await delayRedelivery(record, shortDelaySeconds, log);
      throw new TransientError(
        'RECORD_BUSY',
        'another request for this user and provider is running',
      );
    }

    let outcome: Outcome;
    try {
      outcome = await work(request, {
        logger: log,
        budgetMs: () => context.getRemainingTimeInMillis() - reserveMs,
      });
    } catch (error) {
      const failure = toProvisionerError(error);
      const lastAttempt = request.receiveCount >= config.maxAttempts;
      if (failure.retryable && !lastAttempt) {
        await store.recordRetry(request, failure.reason, failure.message);
        const delay = retryDelaySeconds(
          request.receiveCount,
          { baseSeconds: config.retryBaseDelaySeconds, maxSeconds: config.retryMaxDelaySeconds },
          failure instanceof TransientError ? failure.retryAfterSeconds : undefined,
        );
        await delayRedelivery(record, delay, log);
        log.warn('request will be retried', { ...failureFields(failure), retryInSeconds: delay });
        throw failure;
      }
      await store.complete(request, {
        state: 'FAILED',
        reasonCode: failure.reason,
        reasonMessage: failure.message,
      });
      await deadLetter(record, failure, log, request.requestedAt);
      return;
    }

    await store.complete(request, outcome);
    log.info('request completed', {
      state: outcome.state,
      action: outcome.action,
      leafStatus: outcome.leafStatus,
      credentialId: outcome.credentialId,
    });
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    // Per invocation: the processor keeps the batch's state, and a local runner may invoke the
    // handler concurrently.
    const processor = new BatchProcessor(EventType.SQS);
    const limited = createKeyedLimiter(config.recordConcurrency);

    return processPartialResponse(
      event,
      (record: SQSRecord) => {
        const parsed = parseCredentialRequest(record, operation);
        const key = parsed.ok
          ? `${parsed.request.leafUserId}#${parsed.request.provider}`
          : record.messageId;

        return limited(key, async () => {
          try {
            await processRecord(record, parsed, context);
          } catch (error) {
            const failure = toProvisionerError(error);
            if (failure.reason === 'INTERNAL_ERROR' || failure.reason === 'AWS_UNAVAILABLE') {
              rootLogger.error('record failed', {
                messageId: record.messageId,
                ...failureFields(failure),
              });
            }
            throw failure;
          }
        });
      },
      processor,
      { context, throwOnFullBatchFailure: false },
    );
  };
};
