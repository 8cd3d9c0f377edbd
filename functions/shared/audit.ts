import type { Context } from 'aws-lambda';
import type { LeafConfig } from './env';
import { PermanentError, toProvisionerError } from './errors';
import type { LeafCredentialSummary } from './leaf-client';
import { createLeafRuntime, type LeafRuntime } from './leaf-runtime';
import { logger } from './logger';
import { publishMetrics, recordAudit, recordColdStart } from './metrics';
import { defaultProvider, isProvider, type Provider } from './providers';
import type { HistoryEntry, StatusRecord } from './status-store';

/** What the audit function is invoked with. */
export interface AuditRequest {
  readonly leafUserId: string;
  readonly provider?: string;
}

/** How Leaf's state compares with the product's record. */
export type Agreement = 'AGREES' | 'DIFFERS' | 'UNSETTLED';

/** The audit answer. Built field by field from allowlists: no secret can reach it. */
export interface AuditAnswer {
  readonly leafUserId: string;
  readonly provider: Provider;
  readonly leaf: ({ readonly present: true } & LeafCredentialSummary) | { readonly present: false };
  readonly record: Omit<StatusRecord, 'leaseOwner' | 'leaseExpiresAt'> | null;
  readonly history: readonly HistoryEntry[];
  readonly agreement: Agreement;
  readonly findings: readonly string[];
}

export interface AuditFailure {
  readonly error: { readonly reasonCode: string; readonly message: string };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const historyLength = 5;
const reserveMs = 1_000;

/** Compares what Leaf holds with what the record says it should hold. */
export const compare = (
  leaf: LeafCredentialSummary | undefined,
  record: StatusRecord | undefined,
): { agreement: Agreement; findings: string[] } => {
  const findings: string[] = [];
  if (leaf && leaf.status !== 'OK') {
    findings.push(`Leaf reports status ${leaf.status}`);
  }
  switch (record?.state) {
    case undefined:
      if (leaf) {
        findings.push('Leaf holds a credential the product has no record of');
      }
      break;
    case 'PROVISIONED':
      if (!leaf) {
        findings.push('record says provisioned but Leaf holds no credential');
      } else if (record.credentialId && record.credentialId !== leaf.id) {
        findings.push('Leaf holds a different credential id than recorded');
      }
      break;
    case 'REMOVED':
      if (leaf) {
        findings.push('record says removed but Leaf still holds a credential');
      }
      break;
    default:
      return { agreement: 'UNSETTLED', findings: [`record is ${record?.state}`, ...findings] };
  }

  return { agreement: findings.length === 0 ? 'AGREES' : 'DIFFERS', findings };
};

const parseAuditRequest = (event: unknown) => {
  const fields = (event ?? {}) as Partial<Record<keyof AuditRequest, unknown>>;
  if (typeof fields.leafUserId !== 'string' || !uuidPattern.test(fields.leafUserId)) {
    throw new PermanentError('INVALID_LEAF_USER_ID', 'leafUserId must be a UUID');
  }
  const provider = fields.provider ?? defaultProvider;
  if (!isProvider(provider)) {
    throw new PermanentError('UNKNOWN_PROVIDER', 'provider must be cnhi or cnhi-fieldops');
  }

  return { leafUserId: fields.leafUserId.toLowerCase(), provider };
};

/**
 * Reads a user's credential back from Leaf and sets it beside the status record. Leaf's answer
 * echoes the secrets; only the fields of `LeafCredentialSummary` ever leave the Leaf client.
 */
export const auditCredential = async (
  runtime: LeafRuntime,
  event: unknown,
  budgetMs: () => number,
): Promise<AuditAnswer> => {
  const { leafUserId, provider } = parseAuditRequest(event);
  const [held, record, history] = await Promise.all([
    runtime.leaf.getCredential(leafUserId, provider, { budgetMs: budgetMs() }),
    runtime.store.get(leafUserId, provider),
    runtime.store.history(leafUserId, provider, historyLength),
  ]);
  const { leaseOwner: _owner, leaseExpiresAt: _expiry, ...shownRecord } = record ?? {};

  return {
    leafUserId,
    provider,
    leaf: held ? { present: true, ...held.summary } : { present: false },
    record: record ? (shownRecord as AuditAnswer['record']) : null,
    history,
    ...compare(held?.summary, record),
  };
};

// The user and provider for a log line, only when they are valid: the event is whatever was sent.
const auditKeys = (event: unknown) => {
  try {
    return parseAuditRequest(event);
  } catch {
    return {};
  }
};

/** The audit function's handler: answers an audit, or an error with a reason code, never throws. */
export const createAuditHandler = (config: LeafConfig, runtime = createLeafRuntime(config)) => {
  // Module scope in Lambda builds the handler once per execution environment.
  let coldStart = true;

  return async (event: unknown, context: Context): Promise<AuditAnswer | AuditFailure> => {
    if (coldStart) {
      coldStart = false;
      recordColdStart('AUDIT');
    }
    try {
      const answer = await auditCredential(
        runtime,
        event,
        () => context.getRemainingTimeInMillis() - reserveMs,
      );
      logger.info('audit answered', {
        leafUserId: answer.leafUserId,
        provider: answer.provider,
        agreement: answer.agreement,
      });
      recordAudit({ agreement: answer.agreement });

      return answer;
    } catch (error) {
      const failure = toProvisionerError(error);
      logger.warn('audit failed', {
        ...auditKeys(event),
        reasonCode: failure.reason,
        reason: failure.message,
      });
      recordAudit({ reasonCode: failure.reason });

      return { error: { reasonCode: failure.reason, message: failure.message } };
    } finally {
      publishMetrics();
    }
  };
};
