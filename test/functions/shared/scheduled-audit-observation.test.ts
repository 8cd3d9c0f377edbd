import type { AuditNote, ObservedRecord } from '../../../functions/shared/leaf-observations';
import { observationOf } from '../../../functions/shared/scheduled-audit';
import { statusRecord } from '../../fixtures/status-record';

const at = '2026-05-02T03:00:00.000Z';
const seen = (overrides: Partial<ObservedRecord> = {}): ObservedRecord => ({
  ...statusRecord(),
  ...overrides,
});
const note = (overrides: Partial<AuditNote> = {}): AuditNote => ({
  at,
  agreement: 'AGREES',
  findings: [],
  leaf: { id: 'cred-1', status: 'OK' },
  ...overrides,
});

describe('observationOf', () => {
  it('adds nothing when a first audit agrees with the record', () => {
    // GIVEN
    const record = seen();

    // WHEN
    const entry = observationOf(record, note());

    // THEN
    expect(entry).toBeUndefined();
  });

  it('reports drift found when the audit newly differs', () => {
    // GIVEN
    const record = seen({ auditAgreement: 'AGREES' });
    const findings = ['Leaf reports status UNAUTHENTICATED'];

    // WHEN
    const entry = observationOf(
      record,
      note({ agreement: 'DIFFERS', findings, leaf: { id: 'cred-1', status: 'UNAUTHENTICATED' } }),
    );

    // THEN
    expect(entry).toEqual({
      operation: 'SCHEDULED_AUDIT',
      outcome: 'DRIFT_FOUND',
      at,
      messageId: `audit-${at}`,
      leafStatus: 'UNAUTHENTICATED',
      credentialId: 'cred-1',
      reasonMessage: 'Leaf reports status UNAUTHENTICATED',
    });
  });

  it('adds nothing when a run finds the same drift again', () => {
    // GIVEN
    const findings = ['record says provisioned but Leaf holds no credential'];
    const record = seen({ auditAgreement: 'DIFFERS', auditFindings: findings });

    // WHEN
    const entry = observationOf(record, note({ agreement: 'DIFFERS', findings, leaf: undefined }));

    // THEN
    expect(entry).toBeUndefined();
  });

  it('reports drift cleared when a differing record agrees again', () => {
    // GIVEN
    const record = seen({ auditAgreement: 'DIFFERS', auditFindings: ['x'] });

    // WHEN
    const entry = observationOf(record, note());

    // THEN
    expect(entry?.outcome).toBe('DRIFT_CLEARED');
  });

  it('reports a new Leaf status when the record is in flight', () => {
    // GIVEN
    const record = seen({ state: 'PENDING', leafStatus: 'OK' });

    // WHEN
    const entry = observationOf(
      record,
      note({
        agreement: 'UNSETTLED',
        findings: ['record is PENDING'],
        leaf: { id: 'cred-1', status: 'TEMPORARILY_UNAVAILABLE' },
      }),
    );

    // THEN
    expect(entry?.outcome).toBe('LEAF_STATUS_CHANGED');
  });
});
