import { runInNewContext } from 'node:vm';
import { TimeoutError } from 'ky';
import { PermanentError, ProvisionerError, TransientError } from '../../../functions/shared/errors';
import {
  classifyLeafError,
  type LeafCallSite,
  mayStillLand,
  parseRetryAfter,
} from '../../../functions/shared/leaf-errors';

const site: LeafCallSite = { method: 'POST', route: '/users/{leafUserId}/cnhi-credentials' };
const canary = 'CANARY-client-secret';

/** An error built in another realm, as fetch's are under jest, where `instanceof` fails. */
const foreign = (type: string, message: string): unknown =>
  runInNewContext(`new ${type}(${JSON.stringify(message)})`);

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-05-01T12:00:00.000Z');

  it.each([
    { header: '120', seconds: 120 },
    { header: '0', seconds: 0 },
    { header: ' 30 ', seconds: 30 },
  ])('reads $seconds seconds when the header is "$header"', ({ header, seconds }) => {
    // GIVEN
    const value = header;

    // WHEN
    const parsed = parseRetryAfter(value, now);

    // THEN
    expect(parsed).toBe(seconds);
  });

  it('counts the seconds until the date when the header is an HTTP date', () => {
    // GIVEN
    const header = new Date(now + 90_000).toUTCString();

    // WHEN
    const parsed = parseRetryAfter(header, now);

    // THEN
    expect(parsed).toBe(90);
  });

  it('rounds up to a whole second when the date is between seconds', () => {
    // GIVEN
    const header = 'Wed, 01 May 2024 12:00:05 GMT';

    // WHEN
    const parsed = parseRetryAfter(header, now + 700);

    // THEN
    expect(parsed).toBe(5);
  });

  it('returns zero when the date has passed', () => {
    // GIVEN
    const header = 'Wed, 01 May 2024 11:00:00 GMT';

    // WHEN
    const parsed = parseRetryAfter(header, now);

    // THEN
    expect(parsed).toBe(0);
  });

  it.each([
    { case: 'the header is absent', header: null },
    { case: 'the header is empty', header: '' },
    { case: 'the header is a word', header: 'soon' },
    { case: 'the header is infinite', header: 'Infinity' },
    { case: 'digits are followed by letters', header: '12abc' },
    { case: 'the number is negative', header: '-5' },
    { case: 'the number is fractional', header: '2.4' },
    { case: 'the number is hexadecimal', header: '0x10' },
  ])('returns undefined when $case', ({ header }) => {
    // GIVEN
    const value = header;

    // WHEN
    const parsed = parseRetryAfter(value, now);

    // THEN
    expect(parsed).toBeUndefined();
  });
});

describe('classifyLeafError', () => {
  it.each([
    {
      case: 'ky gives up waiting',
      error: new TimeoutError(new Request('http://127.0.0.1/users/x/cnhi-credentials')),
      reason: 'LEAF_TIMEOUT',
    },
    {
      case: 'the abort signal times out',
      error: new DOMException(`timeout after sending ${canary}`, 'TimeoutError'),
      reason: 'LEAF_TIMEOUT',
    },
    {
      case: 'the call is aborted',
      error: new DOMException(`aborted ${canary}`, 'AbortError'),
      reason: 'LEAF_TIMEOUT',
    },
    {
      case: 'Leaf sends unreadable JSON',
      error: new SyntaxError(`Unexpected token in JSON at "${canary}"`),
      reason: 'LEAF_INVALID_RESPONSE',
    },
    {
      case: 'the connection fails',
      error: new TypeError(`fetch failed for ${canary}`, { cause: new Error('ECONNREFUSED') }),
      reason: 'LEAF_CONNECTION_FAILED',
    },
    {
      case: 'the connection fails in another realm',
      error: foreign('TypeError', 'fetch failed'),
      reason: 'LEAF_CONNECTION_FAILED',
    },
    {
      case: 'JSON fails to parse in another realm',
      error: foreign('SyntaxError', 'Unexpected end of JSON input'),
      reason: 'LEAF_INVALID_RESPONSE',
    },
    { case: 'a RangeError is thrown', error: new RangeError(canary), reason: 'INTERNAL_ERROR' },
    { case: 'a string is thrown', error: canary, reason: 'INTERNAL_ERROR' },
  ])('classifies as $reason when $case', async ({ error, reason }) => {
    // GIVEN
    const thrown: unknown = error;

    // WHEN
    const failure = await classifyLeafError(thrown, site);

    // THEN
    expect(failure).toBeInstanceOf(ProvisionerError);
    expect(failure).toMatchObject({ reason, retryable: true });
  });

  it.each([
    { case: 'the call times out', error: new DOMException(canary, 'TimeoutError') },
    { case: 'the JSON is unreadable', error: new SyntaxError(canary) },
    { case: 'the connection fails', error: new TypeError(canary, { cause: new Error(canary) }) },
    { case: 'an unexpected error is thrown', error: new Error(canary) },
    { case: 'a string is thrown', error: canary },
  ])('keeps the thrown text and the cause out when $case', async ({ error }) => {
    // GIVEN
    const thrown: unknown = error;

    // WHEN
    const failure = await classifyLeafError(thrown, site);

    // THEN
    expect(failure.message).not.toContain('CANARY');
    expect(JSON.stringify(failure.details)).not.toContain('CANARY');
    expect(failure.cause).toBeUndefined();
  });

  it('names the method and route when the connection fails', async () => {
    // GIVEN
    const error = new TypeError('fetch failed');

    // WHEN
    const failure = await classifyLeafError(error, site);

    // THEN
    expect(failure.message).toBe(
      'connection to Leaf failed on POST /users/{leafUserId}/cnhi-credentials',
    );
    expect(failure.details).toEqual({ ...site, unanswered: true });
  });

  it('names the error type when the error is unexpected', async () => {
    // GIVEN
    const error = new RangeError('Invalid array length');

    // WHEN
    const failure = await classifyLeafError(error, site);

    // THEN
    expect(failure.message).toBe(
      'unexpected RangeError on POST /users/{leafUserId}/cnhi-credentials',
    );
    expect(failure.details).toEqual({ ...site, errorType: 'RangeError' });
  });
});

describe('mayStillLand', () => {
  const unanswered = true;

  it.each([
    {
      call: 'a POST timed out',
      failure: new TransientError('LEAF_TIMEOUT', 'x', { method: 'POST', unanswered }),
      lands: true,
    },
    {
      call: 'a DELETE timed out',
      failure: new TransientError('LEAF_TIMEOUT', 'x', { method: 'DELETE', unanswered }),
      lands: true,
    },
    {
      call: 'a POST lost its connection',
      failure: new TransientError('LEAF_CONNECTION_FAILED', 'x', { method: 'POST', unanswered }),
      lands: true,
    },
    {
      call: 'a DELETE got a 504',
      failure: new TransientError('LEAF_SERVER_ERROR', 'x', {
        method: 'DELETE',
        status: 504,
        unanswered,
      }),
      lands: true,
    },
    {
      call: 'a GET timed out',
      failure: new TransientError('LEAF_TIMEOUT', 'x', { method: 'GET', unanswered }),
      lands: false,
    },
    {
      call: 'a POST found no time left before it was sent',
      failure: new TransientError('LEAF_TIMEOUT', 'x', { method: 'POST' }),
      lands: false,
    },
    {
      call: 'a POST got a 503',
      failure: new TransientError('LEAF_SERVER_ERROR', 'x', { method: 'POST', status: 503 }),
      lands: false,
    },
    {
      call: 'a POST got a 429',
      failure: new TransientError('LEAF_RATE_LIMITED', 'x', { method: 'POST', status: 429 }),
      lands: false,
    },
    {
      call: 'a POST got a 400',
      failure: new PermanentError('LEAF_BAD_REQUEST', 'x', { method: 'POST', status: 400 }),
      lands: false,
    },
    {
      call: 'an AWS call failed',
      failure: new TransientError('AWS_UNAVAILABLE', 'x'),
      lands: false,
    },
  ])('answers $lands when $call', ({ failure, lands }) => {
    // GIVEN a failure as the Leaf client classifies it
    const classified = failure;

    // WHEN
    const answer = mayStillLand(classified);

    // THEN only a write that went out unanswered may still land
    expect(answer).toBe(lands);
  });

  it.each([
    {
      call: 'a timed-out POST',
      error: new TimeoutError(new Request('https://leaf.test/c', { method: 'POST' })),
      lands: true,
    },
    { call: 'a POST whose connection failed', error: new TypeError('fetch failed'), lands: true },
  ])('hears from the classifier whether $call went unanswered', async ({ error, lands }) => {
    // GIVEN the HTTP client's own error
    const raw = error;

    // WHEN
    const failure = await classifyLeafError(raw, site);

    // THEN
    expect(mayStillLand(failure)).toBe(lands);
  });
});
