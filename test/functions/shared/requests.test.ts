import fc from 'fast-check';
import {
  PermanentError,
  type PermanentReason,
  permanentReasons,
} from '../../../functions/shared/errors';
import {
  maxBodyBytes,
  type Operation,
  parseCredentialRequest,
} from '../../../functions/shared/requests';
import { sqsRecord } from '../../fixtures/sqs-record';

const now = Date.parse('2024-05-01T12:00:00.000Z');
const leafUserId = '3f2b8c1e-9d4a-4b6e-8f70-1a2b3c4d5e6f';
const secretId = 'leaf/cnhi/grower-1';
const valid = { leafUserId, secretId };
const canary = 'CANARY-xyz';
// Same length and character classes as the canary, so every check treats both alike.
const decoy = 'PLOVER-abc';

/** A JSON body of exactly `bytes` bytes that is a valid provisioning request. */
const paddedBody = (bytes: number): string => {
  const empty = JSON.stringify({ ...valid, padding: '' });

  return JSON.stringify({ ...valid, padding: 'x'.repeat(bytes - empty.length) });
};

const nested = (depth: number, inner: object): object =>
  depth === 0 ? inner : { level: nested(depth - 1, inner) };

interface BadInput {
  readonly case: string;
  readonly body: string | object;
  readonly operation?: Operation;
  readonly reason: PermanentReason;
}

const badInputs: BadInput[] = [
  { case: 'the body is not JSON', body: '{leafUserId:', reason: 'MESSAGE_NOT_JSON' },
  { case: 'the body is empty', body: '', reason: 'MESSAGE_NOT_JSON' },
  {
    case: 'the body is a JSON array',
    body: `[${JSON.stringify(valid)}]`,
    reason: 'MESSAGE_INVALID',
  },
  { case: 'the body is a JSON number', body: '42', reason: 'MESSAGE_INVALID' },
  { case: 'the body is a JSON string', body: '"leaf/cnhi/grower-1"', reason: 'MESSAGE_INVALID' },
  { case: 'the body is JSON null', body: 'null', reason: 'MESSAGE_INVALID' },
  { case: 'leafUserId is missing', body: { secretId }, reason: 'MESSAGE_INVALID' },
  { case: 'leafUserId is a number', body: { ...valid, leafUserId: 42 }, reason: 'MESSAGE_INVALID' },
  { case: 'leafUserId is null', body: { ...valid, leafUserId: null }, reason: 'MESSAGE_INVALID' },
  {
    case: 'leafUserId is not a UUID',
    body: { ...valid, leafUserId: 'grower-42' },
    reason: 'INVALID_LEAF_USER_ID',
  },
  {
    case: 'leafUserId climbs with ../',
    body: { ...valid, leafUserId: `../${leafUserId}` },
    reason: 'INVALID_LEAF_USER_ID',
  },
  {
    case: 'leafUserId holds an encoded slash',
    body: { ...valid, leafUserId: `${leafUserId}%2Fcredentials` },
    reason: 'INVALID_LEAF_USER_ID',
  },
  {
    case: 'leafUserId carries a query',
    body: { ...valid, leafUserId: `${leafUserId}?force=true` },
    reason: 'INVALID_LEAF_USER_ID',
  },
  {
    case: 'leafUserId holds spaces',
    body: { ...valid, leafUserId: ` ${leafUserId} ` },
    reason: 'INVALID_LEAF_USER_ID',
  },
  {
    case: 'leafUserId holds a non-ASCII letter',
    body: { ...valid, leafUserId: `${leafUserId.slice(0, -1)}ü` },
    reason: 'INVALID_LEAF_USER_ID',
  },
  {
    case: 'a UUID is followed by /../x',
    body: { ...valid, leafUserId: `${leafUserId}/../x` },
    reason: 'INVALID_LEAF_USER_ID',
  },
  {
    case: 'a UUID is followed by a newline',
    body: { ...valid, leafUserId: `${leafUserId}\n` },
    reason: 'INVALID_LEAF_USER_ID',
  },
  { case: 'secretId is missing from a provision', body: { leafUserId }, reason: 'MESSAGE_INVALID' },
  { case: 'secretId is a number', body: { ...valid, secretId: 7 }, reason: 'MESSAGE_INVALID' },
  { case: 'secretId is empty', body: { ...valid, secretId: '' }, reason: 'MESSAGE_INVALID' },
  {
    case: 'the provider is unknown',
    body: { ...valid, provider: 'john-deere' },
    reason: 'UNKNOWN_PROVIDER',
  },
  { case: 'the provider is a number', body: { ...valid, provider: 1 }, reason: 'UNKNOWN_PROVIDER' },
  {
    case: 'the provider differs in case only',
    body: { ...valid, provider: 'CNHI' },
    reason: 'UNKNOWN_PROVIDER',
  },
  {
    case: 'requestedAt is not a date',
    body: { ...valid, requestedAt: 'yesterday' },
    reason: 'INVALID_REQUESTED_AT',
  },
  {
    case: 'requestedAt is epoch milliseconds',
    body: { ...valid, requestedAt: now },
    reason: 'INVALID_REQUESTED_AT',
  },
  {
    case: 'requestedAt has no zone',
    body: { ...valid, requestedAt: '2024-05-01T10:00:00' },
    reason: 'INVALID_REQUESTED_AT',
  },
  {
    case: 'requestedAt names a day that does not exist',
    body: { ...valid, requestedAt: '2024-02-30T10:00:00Z' },
    reason: 'INVALID_REQUESTED_AT',
  },
  {
    case: 'requestedAt lies an hour in the future',
    body: { ...valid, requestedAt: new Date(now + 60 * 60 * 1000).toISOString() },
    reason: 'INVALID_REQUESTED_AT',
  },
  {
    case: 'correlationId is longer than 128 characters',
    body: { ...valid, correlationId: 'c'.repeat(129) },
    reason: 'MESSAGE_INVALID',
  },
  {
    case: 'correlationId holds spaces',
    body: { ...valid, correlationId: 'order 42' },
    reason: 'MESSAGE_INVALID',
  },
  {
    case: 'correlationId is a number',
    body: { ...valid, correlationId: 42 },
    reason: 'MESSAGE_INVALID',
  },
  {
    case: 'clientSecret sits at the top level',
    body: { ...valid, clientSecret: canary },
    reason: 'INLINE_CREDENTIALS',
  },
  {
    case: 'refreshToken sits at the top level',
    body: { ...valid, refreshToken: canary },
    reason: 'INLINE_CREDENTIALS',
  },
  {
    case: 'password sits at the top level',
    body: { ...valid, password: canary },
    reason: 'INLINE_CREDENTIALS',
  },
  {
    case: 'a credential key is spelt in another case',
    body: { ...valid, ClientSecret: canary },
    reason: 'INLINE_CREDENTIALS',
  },
  {
    case: 'credentials are nested in an object',
    body: { ...valid, credentials: { clientId: 'id', clientSecret: canary } },
    reason: 'INLINE_CREDENTIALS',
  },
  {
    case: 'credentials are nested in an array',
    body: { ...valid, grants: [{ subscriptionKey: canary }] },
    reason: 'INLINE_CREDENTIALS',
  },
  {
    case: 'credentials are nested five levels deep',
    body: { ...valid, ...nested(5, { apiKey: canary }) },
    reason: 'INLINE_CREDENTIALS',
  },
  {
    case: 'a credential key is written in snake case',
    body: { ...valid, client_secret: canary },
    reason: 'INLINE_CREDENTIALS',
  },
  {
    case: 'a credential key is written in kebab case',
    body: { ...valid, 'refresh-token': canary },
    reason: 'INLINE_CREDENTIALS',
  },
  {
    case: 'the body nests deeper than a scan reaches',
    body: { ...valid, ...nested(6, { password: canary }) },
    reason: 'INLINE_CREDENTIALS',
  },
  {
    case: 'the body is an array of credentials',
    body: [{ ...valid, clientSecret: canary }],
    reason: 'INLINE_CREDENTIALS',
  },
  {
    case: 'credentials come with an otherwise invalid body',
    body: { leafUserId: 'not-a-uuid', password: canary },
    reason: 'INLINE_CREDENTIALS',
  },
  {
    case: 'the body is one byte over 256 KiB',
    body: paddedBody(maxBodyBytes + 1),
    reason: 'MESSAGE_TOO_LARGE',
  },
  {
    case: 'multi-byte characters take the body over 256 KiB',
    body: JSON.stringify({ ...valid, note: 'ü'.repeat(maxBodyBytes / 2) }),
    reason: 'MESSAGE_TOO_LARGE',
  },
];

describe('parseCredentialRequest', () => {
  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(now);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it.each(badInputs)('refuses with $reason when $case', ({ body, operation, reason }) => {
    // GIVEN
    const record = sqsRecord(body);

    // WHEN
    const result = parseCredentialRequest(record, operation ?? 'PROVISION');

    // THEN
    expect(result).toMatchObject({ ok: false, error: { reason, retryable: false } });
    expect(result.ok || result.error).toBeInstanceOf(PermanentError);
  });

  it.each(badInputs)('quotes nothing of the body when $case', ({ body, operation }) => {
    // GIVEN
    const record = sqsRecord(body);

    // WHEN
    const result = parseCredentialRequest(record, operation ?? 'PROVISION');

    // THEN
    expect(result.ok).toBe(false);
    expect(result.ok || result.error.message).not.toContain(canary);
    expect(result.ok || JSON.stringify(result.error.details)).not.toContain(canary);
  });

  it('accepts a body of exactly 256 KiB', () => {
    // GIVEN
    const body = paddedBody(maxBodyBytes);

    // WHEN
    const result = parseCredentialRequest(sqsRecord(body), 'PROVISION');

    // THEN
    expect(Buffer.byteLength(body)).toBe(maxBodyBytes);
    expect(result.ok).toBe(true);
  });

  it('returns every field of the request when the body is complete', () => {
    // GIVEN
    const record = sqsRecord(
      {
        leafUserId,
        secretId,
        provider: 'cnhi',
        requestedAt: '2024-05-01T11:00:00.000Z',
        correlationId: 'crm:order/42',
      },
      { attributes: { ApproximateReceiveCount: '3' } },
    );

    // WHEN
    const result = parseCredentialRequest(record, 'PROVISION');

    // THEN
    expect(result).toEqual({
      ok: true,
      request: {
        operation: 'PROVISION',
        messageId: record.messageId,
        leafUserId,
        provider: 'cnhi',
        requestedAt: '2024-05-01T11:00:00.000Z',
        correlationId: 'crm:order/42',
        receiveCount: 3,
        secretId,
      },
    });
  });

  it('defaults the provider to cnhi when the body names none', () => {
    // GIVEN
    const record = sqsRecord(valid);

    // WHEN
    const result = parseCredentialRequest(record, 'PROVISION');

    // THEN
    expect(result).toMatchObject({ ok: true, request: { provider: 'cnhi' } });
  });

  it('takes requestedAt from the send time when the body has none', () => {
    // GIVEN
    const sent = Date.parse('2024-05-01T09:30:00.000Z');
    const record = sqsRecord(valid, { attributes: { SentTimestamp: String(sent) } });

    // WHEN
    const result = parseCredentialRequest(record, 'PROVISION');

    // THEN
    expect(result).toMatchObject({
      ok: true,
      request: { requestedAt: '2024-05-01T09:30:00.000Z' },
    });
  });

  it('takes requestedAt from the clock when the send time is unusable', () => {
    // GIVEN
    const record = sqsRecord(valid, { attributes: { SentTimestamp: 'soon' } });

    // WHEN
    const result = parseCredentialRequest(record, 'PROVISION');

    // THEN
    expect(result).toMatchObject({
      ok: true,
      request: { requestedAt: new Date(now).toISOString() },
    });
  });

  it('converts requestedAt to UTC when it carries an offset', () => {
    // GIVEN
    const record = sqsRecord({ ...valid, requestedAt: '2024-05-01T12:00:00+02:00' });

    // WHEN
    const result = parseCredentialRequest(record, 'PROVISION');

    // THEN
    expect(result).toMatchObject({
      ok: true,
      request: { requestedAt: '2024-05-01T10:00:00.000Z' },
    });
  });

  it('accepts requestedAt when it lies within the allowed clock skew', () => {
    // GIVEN
    const requestedAt = new Date(now + 4 * 60 * 1000).toISOString();
    const record = sqsRecord({ ...valid, requestedAt });

    // WHEN
    const result = parseCredentialRequest(record, 'PROVISION');

    // THEN
    expect(result).toMatchObject({ ok: true, request: { requestedAt } });
  });

  it('accepts the cnhi-fieldops provider when the body names it', () => {
    // GIVEN
    const record = sqsRecord({ ...valid, provider: 'cnhi-fieldops' });

    // WHEN
    const result = parseCredentialRequest(record, 'PROVISION');

    // THEN
    expect(result).toMatchObject({ ok: true, request: { provider: 'cnhi-fieldops' } });
  });

  it('lowercases leafUserId when the UUID is in upper case', () => {
    // GIVEN
    const record = sqsRecord({ ...valid, leafUserId: leafUserId.toUpperCase() });

    // WHEN
    const result = parseCredentialRequest(record, 'PROVISION');

    // THEN
    expect(result).toMatchObject({ ok: true, request: { leafUserId } });
  });

  it('accepts a deprovision when it names no secret', () => {
    // GIVEN
    const record = sqsRecord({ leafUserId });

    // WHEN
    const result = parseCredentialRequest(record, 'DEPROVISION');

    // THEN
    expect(result).toEqual({
      ok: true,
      request: expect.objectContaining({
        operation: 'DEPROVISION',
        leafUserId,
        secretId: undefined,
      }),
    });
  });

  it('accepts extra fields when they hold no credentials', () => {
    // GIVEN
    const record = sqsRecord({
      ...valid,
      meta: { source: 'crm', tags: ['migration'], tokenTtl: 5 },
    });

    // WHEN
    const result = parseCredentialRequest(record, 'PROVISION');

    // THEN
    expect(result).toMatchObject({ ok: true, request: { leafUserId, secretId } });
  });

  it('counts a first delivery when ApproximateReceiveCount is unusable', () => {
    // GIVEN
    const record = sqsRecord(valid, { attributes: { ApproximateReceiveCount: 'many' } });

    // WHEN
    const result = parseCredentialRequest(record, 'PROVISION');

    // THEN
    expect(result).toMatchObject({ ok: true, request: { receiveCount: 1 } });
  });

  it('reports the user and provider when a request naming them fails later', () => {
    // GIVEN
    const record = sqsRecord(
      { leafUserId: leafUserId.toUpperCase(), provider: 'cnhi-fieldops', correlationId: 'a b' },
      { attributes: { SentTimestamp: String(Date.parse('2024-05-01T09:30:00.000Z')) } },
    );

    // WHEN
    const result = parseCredentialRequest(record, 'PROVISION');

    // THEN
    expect(result).toMatchObject({
      ok: false,
      error: { reason: 'MESSAGE_INVALID' },
      identity: { leafUserId, provider: 'cnhi-fieldops', requestedAt: '2024-05-01T09:30:00.000Z' },
    });
  });

  it('reports no identity when leafUserId is invalid', () => {
    // GIVEN
    const record = sqsRecord({ ...valid, leafUserId: 'grower-42' });

    // WHEN
    const result = parseCredentialRequest(record, 'PROVISION');

    // THEN
    expect(result).toMatchObject({ ok: false, error: { reason: 'INVALID_LEAF_USER_ID' } });
    expect(result.ok || result.identity).toBeUndefined();
  });
});

describe('parseCredentialRequest (properties)', () => {
  const operation = fc.constantFrom<Operation>('PROVISION', 'DEPROVISION');
  const withCanary = fc
    .tuple(fc.string(), fc.string())
    .map(([before, after]) => `${before}${canary}${after}`);
  const anyValue = fc.oneof(fc.jsonValue(), fc.string({ unit: 'binary' }));
  const fieldValues = {
    leafUserId: fc.oneof(fc.uuid(), anyValue),
    provider: fc.oneof(fc.constantFrom('cnhi', 'cnhi-fieldops'), anyValue),
    requestedAt: fc.oneof(
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      anyValue,
    ),
    correlationId: fc.oneof(fc.stringMatching(/^[\w.:/@+=-]{1,128}$/), anyValue),
    secretId: fc.oneof(fc.constant(secretId), anyValue),
  };
  const fieldNames = Object.keys(fieldValues);
  // Bodies shaped like requests reach every check, not just the JSON parse.
  const shapedBody = fc.record(fieldValues, { requiredKeys: [] });
  const anyBody = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    shapedBody.map((body) => JSON.stringify(body)),
  );
  const canaryBody = fc.oneof(
    withCanary,
    fc
      .tuple(shapedBody, fc.constantFrom(...fieldNames, canary, 'note'), withCanary)
      .map(([body, field, value]) => JSON.stringify({ ...body, [field]: value })),
    fc
      .tuple(fc.jsonValue(), withCanary)
      .map(([value, text]) => JSON.stringify({ leafUserId, [text]: value })),
  );

  it('returns a request or a permanent reason when the body is arbitrary', () => {
    fc.assert(
      fc.property(anyBody, operation, (body, op) => {
        // GIVEN
        const record = sqsRecord(body);

        // WHEN
        const result = parseCredentialRequest(record, op);

        // THEN
        if (!result.ok) {
          expect(result.error).toBeInstanceOf(PermanentError);
          expect(permanentReasons).toContain(result.error.reason);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('leaves the canary out of the message when the body holds one', () => {
    fc.assert(
      fc.property(canaryBody, operation, (body, op) => {
        // GIVEN
        const record = sqsRecord(body);

        // WHEN
        const result = parseCredentialRequest(record, op);

        // THEN
        expect(body).toContain(canary);
        if (!result.ok) {
          expect(result.error.message).not.toContain('CANARY');
          expect(JSON.stringify(result.error.details)).not.toContain('CANARY');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same message when only free text in the body differs', () => {
    fc.assert(
      fc.property(canaryBody, operation, (body, op) => {
        // GIVEN
        const twin = body.replaceAll(canary, decoy);

        // WHEN
        const first = parseCredentialRequest(sqsRecord(body), op);
        const second = parseCredentialRequest(sqsRecord(twin), op);

        // THEN
        expect(second.ok).toBe(first.ok);
        if (!first.ok && !second.ok) {
          expect(second.error.reason).toBe(first.error.reason);
          expect(second.error.message).toBe(first.error.message);
        }
      }),
      { numRuns: 500 },
    );
  });
});
