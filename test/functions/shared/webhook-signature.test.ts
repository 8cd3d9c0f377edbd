import { createHmac } from 'node:crypto';
import { isLeafSignature, leafSignature } from '../../../functions/shared/webhook-signature';

// Leaf signs compact JSON with a space after each ':' and ',' (Python's json.dumps).
const body = Buffer.from('{"message": "confirmation of webhook upon registration"}');
const secret = 'mRyT257XpFWX';

describe('isLeafSignature', () => {
  it('accepts the base64 HMAC-SHA256 of the raw body keyed with the secret', () => {
    // GIVEN
    const header = createHmac('sha256', secret).update(body).digest('base64');

    // WHEN
    const valid = isLeafSignature(body, header, secret);

    // THEN
    expect(valid).toBe(true);
    expect(leafSignature(body, secret)).toBe(header);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['keyed with another secret', leafSignature(body, 'another-secret')],
    ['hex instead of base64', createHmac('sha256', secret).update(body).digest('hex')],
    ['cut short', leafSignature(body, secret).slice(0, 20)],
  ])('refuses a signature that is %s', (_, header) => {
    // GIVEN
    const signed = body;

    // WHEN
    const valid = isLeafSignature(signed, header, secret);

    // THEN
    expect(valid).toBe(false);
  });

  it('refuses a signature of the same JSON with its whitespace changed', () => {
    // GIVEN
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(body.toString())));

    // WHEN
    const valid = isLeafSignature(reformatted, leafSignature(body, secret), secret);

    // THEN
    expect(valid).toBe(false);
  });
});
