import type { Logger } from '@aws-lambda-powertools/logger';
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { sendToDeadLetterQueue } from './dead-letter';
import type { ConsumerConfig } from './env';
import {
  PermanentError,
  type PermanentReason,
  type ProvisionerError,
  permanentReasons,
  TransientError,
  type TransientReason,
  toProvisionerError,
} from './errors';
import type { OutcomeEvent, OutcomePublisher } from './outcome-events';
import { historyEvent } from './request-outcome-events';
import type { CredentialRequest } from './requests';
import { retryDelaySeconds } from './retry-delay';
import type { HistoryEntry, StatusStore } from './status-store';

export interface OutcomeDeliveryOptions {
  readonly events: OutcomePublisher;
  readonly store: StatusStore;
  readonly sqs: SQSClient;
  readonly config: ConsumerConfig;
}

const permanent: ReadonlySet<string> = new Set(permanentReasons);

// The failure an earlier delivery recorded, to dead-letter the message with the same reason.
const recordedFailure = (entry: HistoryEntry): ProvisionerError => {
  const reason = entry.reasonCode ?? 'INTERNAL_ERROR';
  const message = entry.reasonMessage ?? 'request failed';

  return permanent.has(reason)
    ? new PermanentError(reason as PermanentReason, message)
    : new TransientError(reason as TransientReason, message);
};

/**
 * Delivers each settled request's outcome event before its message is acknowledged, which makes
 * the events at-least-once:
 *
 * - The record is written first, then the event is published, then the message is acknowledged.
 * - When publishing fails, the message is left on the queue (with a retry delay). Its redelivery
 *   finds the end this message already recorded in the history ({@link replay}) and publishes that
 *   event again, without working again: even when a newer request has overtaken it meanwhile.
 * - On the last delivery there is no redelivery to count on (SQS would move the message to the
 *   dead-letter queue by itself, silently); the message is dead-lettered with the reason instead,
 *   the dead-letter alarm fires, and a redrive settles the request again and publishes its event.
 *
 * A consumer may therefore see an event twice (a crash between publishing and acknowledging);
 * `detail.outcomeId` is the same both times.
 */
export const createOutcomeDelivery = (options: OutcomeDeliveryOptions) => {
  const { events, store, sqs, config } = options;

  const delay = async (record: SQSRecord, receiveCount: number, log: Logger) => {
    const seconds = retryDelaySeconds(receiveCount, {
      baseSeconds: config.retryBaseDelaySeconds,
      maxSeconds: config.retryMaxDelaySeconds,
    });
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

    return seconds;
  };

  /**
   * Publishes the event. Resolves true once published; false when it was not and this is the last
   * delivery; otherwise throws a retryable error, so the message comes back for {@link replay}.
   */
  const announce = async (
    record: SQSRecord,
    event: OutcomeEvent,
    log: Logger,
    receiveCount: number,
  ): Promise<boolean> => {
    try {
      await events.publish(event);

      return true;
    } catch (error) {
      const failure = toProvisionerError(error);
      const fields = {
        outcomeType: event.type,
        reasonCode: failure.reason,
        reason: failure.message,
      };
      if (receiveCount < config.maxAttempts) {
        const retryInSeconds = await delay(record, receiveCount, log);
        log.warn('outcome event not published; the message will come back', {
          ...fields,
          retryInSeconds,
        });
        throw failure;
      }
      log.error('outcome event not published on the last delivery', fields);

      return false;
    }
  };

  /**
   * Announces a request that succeeded or was skipped; on the last delivery, a failure to publish
   * dead-letters the message so that it is seen and redriven rather than lost.
   */
  const announceDone = async (
    record: SQSRecord,
    event: OutcomeEvent,
    log: Logger,
    request: Pick<CredentialRequest, 'receiveCount' | 'requestedAt'>,
  ): Promise<void> => {
    if (await announce(record, event, log, request.receiveCount)) {
      return;
    }
    const failure = new TransientError(
      'AWS_UNAVAILABLE',
      `outcome ${event.type} was recorded but its event was not published; redrive to publish it`,
    );
    await sendToDeadLetterQueue(
      sqs,
      config.deadLetterQueueUrl,
      record,
      failure,
      request.requestedAt,
    );
  };

  /**
   * On a redelivery, announces the end an earlier delivery of this message recorded, and for a
   * failure dead-letters the message again (the earlier attempt may not have). Resolves true when
   * the message had ended already and nothing else is to be done. Only a redelivery is looked up,
   * by its receive count unless the caller knows better (`redelivered`).
   */
  const replay = async (
    record: SQSRecord,
    request: CredentialRequest,
    log: Logger,
    redelivered = request.receiveCount > 1,
  ): Promise<boolean> => {
    if (!redelivered) {
      return false;
    }
    const entry = await store.settledEntry(request);
    if (!entry) {
      return false;
    }
    log.info('earlier delivery already settled; announcing its outcome', {
      outcome: entry.outcome,
    });
    const event = historyEvent(entry);
    if (entry.outcome === 'FAILED') {
      await announce(record, event, log, request.receiveCount);
      await sendToDeadLetterQueue(
        sqs,
        config.deadLetterQueueUrl,
        record,
        recordedFailure(entry),
        request.requestedAt,
      );
    } else {
      await announceDone(record, event, log, request);
    }

    return true;
  };

  return { announce, announceDone, replay };
};
