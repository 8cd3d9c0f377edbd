import { type Agreement, compare } from '../../../functions/shared/audit';
import type { LeafCredentialSummary } from '../../../functions/shared/leaf-client';
import type { StatusRecord } from '../../../functions/shared/status-store';
import { leafCredentialSummary, statusRecord } from '../../fixtures/status-record';

interface Row {
  readonly case: string;
  readonly record: StatusRecord | undefined;
  readonly leaf: LeafCredentialSummary | undefined;
  readonly agreement: Agreement;
  readonly findings: string[];
}

const rows: Row[] = [
  {
    case: 'neither the record nor Leaf knows the credential',
    record: undefined,
    leaf: undefined,
    agreement: 'AGREES',
    findings: [],
  },
  {
    case: 'Leaf holds a credential the product never recorded',
    record: undefined,
    leaf: leafCredentialSummary(),
    agreement: 'DIFFERS',
    findings: ['Leaf holds a credential the product has no record of'],
  },
  {
    case: 'an unrecorded credential is also unhealthy at Leaf',
    record: undefined,
    leaf: leafCredentialSummary({ status: 'INVALID' }),
    agreement: 'DIFFERS',
    findings: [
      'Leaf reports status INVALID',
      'Leaf holds a credential the product has no record of',
    ],
  },
  {
    case: 'a provisioned record matches Leaf’s credential id',
    record: statusRecord({ credentialId: 'cred-1' }),
    leaf: leafCredentialSummary({ id: 'cred-1' }),
    agreement: 'AGREES',
    findings: [],
  },
  {
    case: 'a provisioned record lacks a credential id',
    record: statusRecord({ credentialId: undefined }),
    leaf: leafCredentialSummary({ id: 'cred-9' }),
    agreement: 'AGREES',
    findings: [],
  },
  {
    case: 'a provisioned credential is missing at Leaf',
    record: statusRecord(),
    leaf: undefined,
    agreement: 'DIFFERS',
    findings: ['record says provisioned but Leaf holds no credential'],
  },
  {
    case: 'Leaf holds another credential id than recorded',
    record: statusRecord({ credentialId: 'cred-1' }),
    leaf: leafCredentialSummary({ id: 'cred-2' }),
    agreement: 'DIFFERS',
    findings: ['Leaf holds a different credential id than recorded'],
  },
  {
    case: 'the provisioned credential is unhealthy at Leaf',
    record: statusRecord({ credentialId: 'cred-1' }),
    leaf: leafCredentialSummary({ id: 'cred-1', status: 'INVALID' }),
    agreement: 'DIFFERS',
    findings: ['Leaf reports status INVALID'],
  },
  {
    case: 'the credential differs in id and health',
    record: statusRecord({ credentialId: 'cred-1' }),
    leaf: leafCredentialSummary({ id: 'cred-2', status: 'PROCESSING' }),
    agreement: 'DIFFERS',
    findings: [
      'Leaf reports status PROCESSING',
      'Leaf holds a different credential id than recorded',
    ],
  },
  {
    case: 'a removed credential is absent at Leaf',
    record: statusRecord({ state: 'REMOVED', operation: 'DEPROVISION', credentialId: undefined }),
    leaf: undefined,
    agreement: 'AGREES',
    findings: [],
  },
  {
    case: 'a removed credential is still at Leaf',
    record: statusRecord({ state: 'REMOVED', operation: 'DEPROVISION' }),
    leaf: leafCredentialSummary(),
    agreement: 'DIFFERS',
    findings: ['record says removed but Leaf still holds a credential'],
  },
  {
    case: 'a request is pending',
    record: statusRecord({ state: 'PENDING' }),
    leaf: undefined,
    agreement: 'UNSETTLED',
    findings: ['record is PENDING'],
  },
  {
    case: 'a request is being retried while Leaf reports a bad status',
    record: statusRecord({ state: 'RETRYING' }),
    leaf: leafCredentialSummary({ status: 'INVALID' }),
    agreement: 'UNSETTLED',
    findings: ['record is RETRYING', 'Leaf reports status INVALID'],
  },
  {
    case: 'the last request failed',
    record: statusRecord({ state: 'FAILED', reasonCode: 'SECRET_NOT_FOUND' }),
    leaf: leafCredentialSummary(),
    agreement: 'UNSETTLED',
    findings: ['record is FAILED'],
  },
];

describe('compare', () => {
  it.each(rows)('finds $agreement when $case', ({ record, leaf, agreement, findings }) => {
    // GIVEN
    const held = leaf;

    // WHEN
    const result = compare(held, record);

    // THEN
    expect(result).toEqual({ agreement, findings });
  });
});
