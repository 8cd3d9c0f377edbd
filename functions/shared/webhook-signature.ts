import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header Leaf signs every webhook call with. Function URLs hand headers over in lower case. */
export const leafSignatureHeader = 'x-leaf-signature';

// A SHA-256 digest is 32 bytes; its base64 form is 44 characters with padding.
const digestBytes = 32;
const base64Pattern = /^[A-Za-z0-9+/]{43}=$/;

/** Leaf's signature of a body: base64 of HMAC-SHA256 over the raw bytes, keyed with the secret. */
export const leafSignature = (body: Uint8Array, secret: string): string =>
  createHmac('sha256', secret).update(body).digest('base64');

/**
 * True when `header` is Leaf's signature of exactly these bytes. The bytes are compared, not the
 * base64 text, with `timingSafeEqual`, so the time taken says nothing about how much matched. A
 * header of the wrong shape is refused before any comparison: it cannot be a signature.
 * @see https://docs.withleaf.io/alerts/authentication
 */
export const isLeafSignature = (
  body: Uint8Array,
  header: string | undefined,
  secret: string,
): boolean => {
  const given = header?.trim() ?? '';
  if (!base64Pattern.test(given)) {
    return false;
  }
  const expected = createHmac('sha256', secret).update(body).digest();
  const received = Buffer.from(given, 'base64');

  return received.length === digestBytes && timingSafeEqual(expected, received);
};
