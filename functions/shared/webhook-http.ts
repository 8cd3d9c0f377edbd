import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';

/**
 * The exact bytes the caller sent. A function URL hands a body over base64-encoded whenever it is
 * not text, and a signature covers bytes, so the body is decoded back rather than re-encoded.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads
 */
export const rawBody = (event: Pick<LambdaFunctionURLEvent, 'body' | 'isBase64Encoded'>): Buffer =>
  Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');

/** A request header; function URLs pass header names in lower case. */
export const headerOf = (
  event: Pick<LambdaFunctionURLEvent, 'headers'>,
  name: string,
): string | undefined => event.headers?.[name.toLowerCase()];

/** A small JSON answer; it never echoes anything the caller sent. */
export const jsonAnswer = (statusCode: number, body: object): LambdaFunctionURLResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
