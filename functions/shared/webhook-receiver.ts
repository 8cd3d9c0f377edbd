import { createHash } from 'node:crypto';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { awsClients } from './aws-clients';
import { ConfigurationError, type WebhookConfig } from './env';
import { isProvisionerError } from './errors';
import { logger } from './logger';
import { publishMetrics, recordWebhookCall } from './metrics';
import { createOutcomePublisher, type OutcomePublisher } from './outcome-events';
import type { Provider } from './providers';
import { StatusStore } from './status-store';
import { type CredentialEvent, parseWebhookBody } from './webhook-event';
import { headerOf, jsonAnswer, rawBody } from './webhook-http';
import {
  createSignatureVerifier,
  type SignatureVerifier,
  webhookSecretReader,
} from './webhook-secret';
import { leafSignatureHeader } from './webhook-signature';

/** How a webhook call was answered; also the `result` dimension of the WebhookCalls metric. */
export type WebhookResult =
  | 'confirmed'
  | 'recorded'
  /** A replay of a body already recorded: acknowledged, nothing written. */
  | 'duplicate'
  /** The record holds another credential now, or a newer event was applied first. */
  | 'superseded'
  /** Outside the time window in which events are accepted. */
  | 'stale'
  | 'ignored'
  | 'unknownCredential'
  | 'unauthorized'
  | 'invalid'
  | 'failed';

/** What the receiver needs; built once per execution environment. */
export interface WebhookDependencies {
  readonly store: Pick<
    StatusStore,
    'findByCredentialId' | 'recordLeafStatus' | 'forgetWebhookReceipt'
  >;
  readonly verify: SignatureVerifier;
  /** Receives a `DriftFound` event per recorded credential event; none when absent. */
  readonly events?: OutcomePublisher;
  readonly now?: () => number;
}

type Answer = { readonly status: number; readonly result: WebhookResult };

// A credential event is a few hundred bytes; anything far larger is not from Leaf.
const maxBodyBytes = 64 * 1024;
// Leaf retries a failed delivery after 1, 30, 60 and 240 minutes, so a genuine call can arrive
// about 5.5 hours after its event. Older calls are acknowledged without effect: the scheduled
// audit reads the status from Leaf anyway.
const maxEventAgeMs = 6 * 60 * 60 * 1000;
const maxClockSkewMs = 5 * 60 * 1000;
// A receipt outlives the window in which its event is accepted, so a replay always meets it.
const receiptSeconds = (maxEventAgeMs + maxClockSkewMs) / 1000 + 60 * 60;

// The event is news only once recorded; if it cannot be published, the receipt goes, so Leaf's
// retry of the call records and publishes again (at least once, as for requests' outcomes).
const publishDrift = async (
  deps: WebhookDependencies,
  target: {
    readonly leafUserId: string;
    readonly provider: Provider;
    readonly credentialId: string;
  },
  event: CredentialEvent,
  bodyDigest: string,
) => {
  try {
    await deps.events?.publish({
      type: 'DriftFound',
      leafUserId: target.leafUserId,
      provider: target.provider,
      credentialId: target.credentialId,
      leafStatus: event.status,
      // The audit's own words for the same finding (audit.ts, compare).
      findings: [`Leaf reports status ${event.status}`],
      time: new Date(event.occurredAt),
    });
  } catch (error) {
    await deps.store.forgetWebhookReceipt(bodyDigest);
    throw error;
  }
};

const applyEvent = async (
  deps: WebhookDependencies,
  event: CredentialEvent,
  body: Buffer,
  now: number,
): Promise<Answer> => {
  const age = now - Date.parse(event.occurredAt);
  if (age > maxEventAgeMs || age < -maxClockSkewMs) {
    return { status: 200, result: 'stale' };
  }
  const records = await deps.store.findByCredentialId(event.credentialId);
  if (records.length === 0) {
    return { status: 200, result: 'unknownCredential' };
  }
  const receipt = {
    bodyDigest: createHash('sha256').update(body).digest('hex'),
    receivedAt: new Date(now).toISOString(),
    purgeAfter: Math.ceil(now / 1000 + receiptSeconds),
  };
  // Credential ids are UUIDs, so one record is expected; the receipt stops a second write anyway.
  const outcomes: WebhookResult[] = [];
  for (const record of records) {
    const target = { ...record, credentialId: event.credentialId };
    const outcome = await deps.store.recordLeafStatus(target, event, receipt);
    outcomes.push(outcome);
    logger.info('leaf credential event', {
      leafUserId: record.leafUserId,
      provider: record.provider,
      credentialId: event.credentialId,
      eventType: event.type,
      leafStatus: event.status,
      outcome,
    });
    if (outcome === 'recorded') {
      await publishDrift(deps, target, event, receipt.bodyDigest);
    }
  }

  return {
    status: 200,
    result: outcomes.includes('recorded') ? 'recorded' : (outcomes[0] ?? 'failed'),
  };
};

/**
 * Answers one call to the webhook URL. Nothing is read from a body before its signature checks
 * out; a replay, an event for an unknown credential and a type the product ignores all get a 2xx,
 * because anything else makes Leaf deliver the same call again, four more times.
 */
export const handleWebhookCall = async (
  deps: WebhookDependencies,
  call: LambdaFunctionURLEvent,
): Promise<Answer> => {
  if (call.requestContext?.http?.method !== 'POST') {
    return { status: 405, result: 'invalid' };
  }
  const body = rawBody(call);
  if (body.length > maxBodyBytes) {
    return { status: 413, result: 'invalid' };
  }
  if (!(await deps.verify(body, headerOf(call, leafSignatureHeader)))) {
    return { status: 401, result: 'unauthorized' };
  }
  const parsed = parseWebhookBody(body.toString('utf8'));
  switch (parsed.kind) {
    case 'confirmation':
      return { status: 200, result: 'confirmed' };
    case 'ignored':
      logger.info('leaf event ignored', { eventType: parsed.type });

      return { status: 200, result: 'ignored' };
    case 'invalid':
      logger.warn('leaf event invalid', { reason: parsed.reason });

      return { status: 400, result: 'invalid' };
  }

  return applyEvent(deps, parsed.event, body, (deps.now ?? Date.now)());
};

/** The webhook function's handler: one answer per call, a 5xx only when Leaf should retry. */
export const createWebhookHandler =
  (
    config: WebhookConfig,
    deps: WebhookDependencies = {
      store: new StatusStore(awsClients().dynamo, config.statusTableName),
      events: config.outcomeEventBusName
        ? createOutcomePublisher({ eventBusName: config.outcomeEventBusName })
        : undefined,
      verify: createSignatureVerifier(
        webhookSecretReader(awsClients().secrets, config.webhookSecretId),
      ),
    },
  ) =>
  async (call: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
    let answer: Answer;
    try {
      answer = await handleWebhookCall(deps, call);
    } catch (error) {
      // A transient failure (DynamoDB, Secrets Manager) is worth Leaf's retry; a broken
      // configuration is too, once someone fixes it within Leaf's four-hour retry window.
      const retryable = isProvisionerError(error) && error.retryable;
      // Only the product's own errors have messages known to hold no secret.
      const known = isProvisionerError(error) || error instanceof ConfigurationError;
      logger.error('webhook call failed', {
        errorType: error instanceof Error ? error.name : typeof error,
        reason: known ? (error as Error).message : undefined,
      });
      answer = { status: retryable ? 503 : 500, result: 'failed' };
    }
    recordWebhookCall(answer.result);
    publishMetrics();

    return jsonAnswer(answer.status, { result: answer.result });
  };
