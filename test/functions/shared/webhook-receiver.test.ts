import { TransientError } from '../../../functions/shared/errors';
import type { ObservedRecord } from '../../../functions/shared/leaf-observations';
import {
  createWebhookHandler,
  handleWebhookCall,
  type WebhookDependencies,
} from '../../../functions/shared/webhook-receiver';
import { leafSignature } from '../../../functions/shared/webhook-signature';
import { functionUrlEvent } from '../../fixtures/function-url-event';
import { statusRecord } from '../../fixtures/status-record';

const key = 'k'.repeat(44);
const now = Date.parse('2026-05-01T12:00:00.000Z');

const signedCall = (payload: unknown, options: { method?: string } = {}) => {
  const body = JSON.stringify(payload);

  return functionUrlEvent(body, {
    ...options,
    headers: { 'x-leaf-signature': leafSignature(Buffer.from(body), key) },
  });
};

const event = (overrides: Record<string, unknown> = {}) => ({
  credentialId: 'cred-1',
  type: 'credentialsUnauthenticated',
  status: 'UNAUTHENTICATED',
  timestamp: '2026-05-01T11:59:00.123456Z',
  ...overrides,
});

const fakeStore = (records: ObservedRecord[] = [statusRecord()]) => ({
  findByCredentialId: jest.fn(async () => records),
  recordLeafStatus: jest.fn(async () => 'recorded' as const),
  forgetWebhookReceipt: jest.fn(async () => undefined),
});

const dependencies = (store = fakeStore()): WebhookDependencies => ({
  store,
  verify: async (body, header) => header === leafSignature(body, key),
  now: () => now,
});

describe('handleWebhookCall', () => {
  it('answers 405 when the call is not a POST', async () => {
    // GIVEN
    const call = signedCall(event(), { method: 'GET' });

    // WHEN
    const answer = await handleWebhookCall(dependencies(), call);

    // THEN
    expect(answer).toEqual({ status: 405, result: 'invalid' });
  });

  it('answers 413 without checking the signature when the body is far too large', async () => {
    // GIVEN
    const call = signedCall({ ...event(), padding: 'x'.repeat(70_000) });
    const verify = jest.fn(async () => true);

    // WHEN
    const answer = await handleWebhookCall({ ...dependencies(), verify }, call);

    // THEN
    expect(answer.status).toBe(413);
    expect(verify).not.toHaveBeenCalled();
  });

  it('answers 400 when a signed credential event lacks its credential id', async () => {
    // GIVEN
    const call = signedCall(event({ credentialId: undefined }));

    // WHEN
    const answer = await handleWebhookCall(dependencies(), call);

    // THEN
    expect(answer).toEqual({ status: 400, result: 'invalid' });
  });

  it.each([
    ['older than the retry window', '2026-05-01T05:59:00Z'],
    ['from the future', '2026-05-01T12:10:00Z'],
  ])('acknowledges without effect an event %s', async (_, timestamp) => {
    // GIVEN
    const store = fakeStore();

    // WHEN
    const answer = await handleWebhookCall(dependencies(store), signedCall(event({ timestamp })));

    // THEN
    expect(answer).toEqual({ status: 200, result: 'stale' });
    expect(store.findByCredentialId).not.toHaveBeenCalled();
  });

  it('passes the status, the event time and a receipt of the body to the store', async () => {
    // GIVEN
    const store = fakeStore();

    // WHEN
    await handleWebhookCall(dependencies(store), signedCall(event()));

    // THEN
    expect(store.recordLeafStatus).toHaveBeenCalledWith(
      expect.objectContaining({ credentialId: 'cred-1', provider: 'cnhi' }),
      {
        type: 'credentialsUnauthenticated',
        credentialId: 'cred-1',
        status: 'UNAUTHENTICATED',
        occurredAt: '2026-05-01T11:59:00.123Z',
      },
      expect.objectContaining({
        bodyDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
        receivedAt: '2026-05-01T12:00:00.000Z',
        purgeAfter: now / 1000 + 7 * 3600 + 300,
      }),
    );
  });

  it('forgets the receipt and fails when the drift event cannot be published', async () => {
    // GIVEN
    const store = fakeStore();
    const events = { publish: jest.fn(async () => Promise.reject(new Error('throttled'))) };

    // WHEN
    const answer = handleWebhookCall({ ...dependencies(store), events }, signedCall(event()));

    // THEN
    await expect(answer).rejects.toThrow('throttled');
    expect(store.forgetWebhookReceipt).toHaveBeenCalledWith(
      expect.stringMatching(/^[0-9a-f]{64}$/),
    );
  });
});

describe('createWebhookHandler', () => {
  const config = { statusTableName: 'status', webhookSecretId: 'leaf/webhook' };

  it('answers 503 so Leaf retries when the status table is unavailable', async () => {
    // GIVEN
    const store = fakeStore();
    store.findByCredentialId.mockRejectedValue(new TransientError('AWS_UNAVAILABLE', 'down'));
    const handler = createWebhookHandler(config, dependencies(store));

    // WHEN
    const answer = await handler(signedCall(event()));

    // THEN
    expect(answer).toMatchObject({ statusCode: 503, body: '{"result":"failed"}' });
  });

  it('answers 401 with nothing of the request in the body when the signature is wrong', async () => {
    // GIVEN
    const handler = createWebhookHandler(config, dependencies());
    const call = functionUrlEvent(JSON.stringify(event()), {
      headers: { 'x-leaf-signature': leafSignature(Buffer.from('other'), key) },
    });

    // WHEN
    const answer = await handler(call);

    // THEN
    expect(answer).toEqual({
      statusCode: 401,
      headers: { 'content-type': 'application/json' },
      body: '{"result":"unauthorized"}',
    });
  });
});
