import { parseWebhookBody } from '../../../functions/shared/webhook-event';

describe('parseWebhookBody', () => {
  it('recognises Leaf’s registration confirmation', () => {
    // GIVEN
    const text = '{"message": "confirmation of webhook upon registration"}';

    // WHEN
    const body = parseWebhookBody(text);

    // THEN
    expect(body).toEqual({ kind: 'confirmation' });
  });

  it('reads a credential event and normalises its microsecond timestamp', () => {
    // GIVEN
    const text = JSON.stringify({
      credential: 'CNHICredentials',
      provider: 'CNHI',
      credentialId: '5b0e6c1a-0f6e-4a7e-9d1b-2c3d4e5f6a7b',
      message: 'free text Leaf does not document',
      status: 'UNAUTHENTICATED',
      type: 'credentialsUnauthenticated',
      timestamp: '2023-04-21T12:16:27.997586Z',
    });

    // WHEN
    const body = parseWebhookBody(text);

    // THEN
    expect(body).toEqual({
      kind: 'credential',
      event: {
        type: 'credentialsUnauthenticated',
        credentialId: '5b0e6c1a-0f6e-4a7e-9d1b-2c3d4e5f6a7b',
        status: 'UNAUTHENTICATED',
        occurredAt: '2023-04-21T12:16:27.997Z',
      },
    });
  });

  it('takes the status from the event type when Leaf leaves it out', () => {
    // GIVEN
    const text =
      '{"credentialId": "c-1", "type": "credentialsLimitedPermission", "timestamp": "2023-04-24T18:35:53Z"}';

    // WHEN
    const body = parseWebhookBody(text);

    // THEN
    expect(body).toMatchObject({ kind: 'credential', event: { status: 'MISSING_PERMISSION' } });
  });

  it.each([
    [
      'another Leaf event',
      '{"type": "fieldCreated", "fieldId": "f-1"}',
      { kind: 'ignored', type: 'fieldCreated' },
    ],
    ['a type that is not a name', '{"type": "<script>"}', { kind: 'ignored' }],
    ['text that is not JSON', 'hello', { kind: 'invalid', reason: 'body is not JSON' }],
    ['a JSON array', '[]', { kind: 'invalid', reason: 'body is not a JSON object' }],
    [
      'a timestamp without a zone',
      '{"credentialId": "c-1", "type": "credentialsUnauthenticated", "timestamp": "2023-04-24T18:35:53"}',
      { kind: 'invalid', reason: 'invalid timestamp' },
    ],
    [
      'a credential id with path characters',
      '{"credentialId": "../x", "type": "credentialsUnauthenticated", "timestamp": "2023-04-24T18:35:53Z"}',
      { kind: 'invalid', reason: 'invalid credentialId' },
    ],
  ])('classifies %s', (_, text, expected) => {
    // GIVEN
    const received = text;

    // WHEN
    const body = parseWebhookBody(received);

    // THEN
    expect(body).toEqual(expected);
  });
});
