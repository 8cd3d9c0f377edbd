import type { ProvisionerError } from './errors';
import type { OutcomeEvent, OutcomeType } from './outcome-events';
import type { CredentialRequest, Operation, RequestIdentity } from './requests';
import type { HistoryEntry, Outcome, StatusRecord } from './status-store';

const typeOf: Readonly<Record<HistoryEntry['outcome'], OutcomeType | undefined>> = {
  PROVISIONED: 'CredentialProvisioned',
  REMOVED: 'CredentialRemoved',
  FAILED: 'RequestFailed',
  SKIPPED_STALE: 'RequestSkippedStale',
  // Never in the history: a request that is running or waiting has not ended.
  PENDING: undefined,
  RETRYING: undefined,
};

const requestFields = (request: CredentialRequest) => ({
  leafUserId: request.leafUserId,
  provider: request.provider,
  operation: request.operation,
  requestedAt: request.requestedAt,
  correlationId: request.correlationId,
  messageId: request.messageId,
  attempts: request.receiveCount,
});

/** The event of a request that ran to its end: provisioned, removed, or failed for good. */
export const settledEvent = (request: CredentialRequest, outcome: Outcome): OutcomeEvent => ({
  type: typeOf[outcome.state] ?? 'RequestFailed',
  ...requestFields(request),
  credentialId: outcome.credentialId,
  leafStatus: outcome.leafStatus,
  action: outcome.action,
  reasonCode: outcome.reasonCode,
  reasonMessage: outcome.reasonMessage,
});

/** The event of a request skipped because a newer one for the same credential came first. */
export const staleEvent = (request: CredentialRequest, current: StatusRecord): OutcomeEvent => ({
  type: 'RequestSkippedStale',
  ...requestFields(request),
  reasonCode: 'STALE_REQUEST',
  reasonMessage: `a newer request (${current.requestedAt}) was applied first`,
});

/** The event of a message refused before any work, naming its user when the message did. */
export const refusedEvent = (
  messageId: string,
  operation: Operation,
  receiveCount: number,
  failure: ProvisionerError,
  identity?: RequestIdentity,
): OutcomeEvent => ({
  type: 'RequestFailed',
  leafUserId: identity?.leafUserId,
  provider: identity?.provider,
  requestedAt: identity?.requestedAt,
  operation,
  messageId,
  attempts: receiveCount,
  reasonCode: failure.reason,
  reasonMessage: failure.message,
});

/** The event an earlier delivery of a message settled with, rebuilt from its history entry. */
export const historyEvent = (entry: HistoryEntry): OutcomeEvent => ({
  type: typeOf[entry.outcome] ?? 'RequestFailed',
  leafUserId: entry.leafUserId,
  provider: entry.provider,
  operation: entry.operation,
  requestedAt: entry.requestedAt,
  correlationId: entry.correlationId,
  messageId: entry.messageId,
  attempts: entry.attempts,
  credentialId: entry.credentialId,
  leafStatus: entry.leafStatus,
  action: entry.action,
  reasonCode: entry.reasonCode,
  reasonMessage: entry.reasonMessage,
  // The original moment, so a replayed event reads as the one it stands in for.
  time: Number.isNaN(Date.parse(entry.at)) ? undefined : new Date(entry.at),
});
