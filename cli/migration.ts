import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditAnswer, AuditFailure } from '../functions/shared/audit';
import type { Operation } from '../functions/shared/requests';
import type { StatusRecord } from '../functions/shared/status-store';

/** What a migration needs of the product; the command wires these to AWS or the local run. */
export interface MigrationPorts {
  /** Sends a request body to its queue; resolves to the SQS message id. */
  enqueue(operation: Operation, body: Readonly<Record<string, string>>): Promise<string>;
  readRecord(leafUserId: string, provider: 'cnhi-fieldops'): Promise<StatusRecord | undefined>;
  /** The audit core: Leaf's credential beside the record, never a secret value. */
  audit(leafUserId: string, provider: 'cnhi-fieldops'): Promise<AuditAnswer | AuditFailure>;
}

export interface MigrationOptions {
  /** How long to wait for FieldOps to be provisioned and reported `OK` by Leaf. */
  readonly timeoutMs: number;
  /** Pause between two looks at the record or at Leaf. */
  readonly pollIntervalMs: number;
  /** Told each time what the migration waits for changes. */
  readonly onProgress?: (leafUserId: string, note: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** One grower to migrate: the Leaf user and the secret with their FieldOps credentials. */
export interface MigrationTarget {
  readonly leafUserId: string;
  readonly secretId: string;
  /** @default `migrate-<random>` */
  readonly correlationId?: string;
}

export type MigrationResult =
  | {
      readonly status: 'MIGRATED';
      readonly leafUserId: string;
      readonly fieldOpsCredentialId: string;
      readonly provisionMessageId: string;
      /** The legacy credential's removal, enqueued; the deprovision function carries it out. */
      readonly deprovisionMessageId: string;
      readonly correlationId: string;
    }
  | {
      readonly status: 'LEGACY_KEPT';
      readonly leafUserId: string;
      /** Why the legacy `cnhi` credential was left in place, for the operator. */
      readonly reason: string;
      readonly provisionMessageId: string;
      readonly correlationId: string;
    };

type Wait<T> =
  | { readonly done: true; readonly value: T }
  | { readonly done: false; readonly note: string };

/**
 * Moves one grower from CNH's legacy platform to FieldOps without a moment where Leaf holds
 * neither: it enqueues the FieldOps provisioning, waits until the status record says it was
 * provisioned by this request (or a later one) and Leaf reports the FieldOps credential `OK`,
 * and only then enqueues the removal of the legacy `cnhi` credential. Anything else (a failed
 * provisioning, a status other than `OK`, running out of time) leaves the legacy credential
 * where it is, and the result says why. Running it again is safe: each step is idempotent.
 */
export const migrateGrower = async (
  ports: MigrationPorts,
  target: MigrationTarget,
  options: MigrationOptions,
): Promise<MigrationResult> => {
  const now = options.now ?? Date.now;
  const { leafUserId } = target;
  const correlationId = target.correlationId ?? `migrate-${randomUUID()}`;
  const requestedAt = new Date(now()).toISOString();
  const deadline = now() + options.timeoutMs;
  let lastNote = '';
  const progress = (note: string) => {
    if (note !== lastNote) {
      lastNote = note;
      options.onProgress?.(leafUserId, note);
    }
  };

  const provisionMessageId = await ports.enqueue('PROVISION', {
    leafUserId,
    secretId: target.secretId,
    provider: 'cnhi-fieldops',
    requestedAt,
    correlationId,
  });
  const kept = (reason: string): MigrationResult => ({
    status: 'LEGACY_KEPT',
    leafUserId,
    reason: `${reason}; the legacy cnhi credential was left in place`,
    provisionMessageId,
    correlationId,
  });
  progress(`FieldOps provisioning enqueued (message ${provisionMessageId})`);

  const waitFor = async <T>(
    look: () => Promise<Wait<T> | { fail: string }>,
    what: string,
  ): Promise<{ readonly value: T } | { readonly fail: string }> => {
    for (;;) {
      const seen = await look();
      if ('fail' in seen) {
        return { fail: seen.fail };
      }
      if (seen.done) {
        return { value: seen.value };
      }
      progress(seen.note);
      if (now() >= deadline) {
        return { fail: `${what} within ${Math.round(options.timeoutMs / 1000)} s (${seen.note})` };
      }
      await sleep(Math.max(0, Math.min(options.pollIntervalMs, deadline - now())));
    }
  };

  const provisioned = await waitFor<StatusRecord>(async () => {
    const record = await ports.readRecord(leafUserId, 'cnhi-fieldops');
    // An earlier request's record says nothing about this one; ISO times in UTC sort as text.
    if (!record || record.requestedAt < requestedAt) {
      return { done: false, note: 'FieldOps request not taken yet' };
    }
    if (record.state === 'PROVISIONED' && record.operation === 'PROVISION') {
      return { done: true, value: record };
    }
    if (record.state === 'FAILED') {
      return {
        fail: `FieldOps provisioning failed: ${record.reasonCode}: ${record.reasonMessage}`,
      };
    }
    if (record.state === 'REMOVED') {
      return { fail: 'a later request removed the FieldOps credential' };
    }
    const reason = record.reasonCode ? ` (${record.reasonCode})` : '';

    return { done: false, note: `FieldOps record ${record.state}${reason}` };
  }, 'FieldOps was not provisioned');
  if ('fail' in provisioned) {
    return kept(provisioned.fail);
  }

  const healthy = await waitFor<string>(async () => {
    const answer = await ports.audit(leafUserId, 'cnhi-fieldops');
    if ('error' in answer) {
      return { done: false, note: `audit failed: ${answer.error.reasonCode}` };
    }
    if (!answer.leaf.present) {
      return { done: false, note: 'Leaf holds no FieldOps credential' };
    }
    if (answer.leaf.status !== 'OK') {
      return { done: false, note: `Leaf reports FieldOps status ${answer.leaf.status}` };
    }
    if (answer.agreement !== 'AGREES') {
      return { done: false, note: `Leaf and the record differ: ${answer.findings.join('; ')}` };
    }

    return { done: true, value: answer.leaf.id };
  }, 'Leaf did not report FieldOps OK');
  if ('fail' in healthy) {
    return kept(healthy.fail);
  }

  const deprovisionMessageId = await ports.enqueue('DEPROVISION', {
    leafUserId,
    provider: 'cnhi',
    requestedAt: new Date(now()).toISOString(),
    correlationId,
  });
  progress(`FieldOps OK; legacy removal enqueued (message ${deprovisionMessageId})`);

  return {
    status: 'MIGRATED',
    leafUserId,
    fieldOpsCredentialId: healthy.value,
    provisionMessageId,
    deprovisionMessageId,
    correlationId,
  };
};
