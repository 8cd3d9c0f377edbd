import type { SQSRecord } from 'aws-lambda';
import {
  type Operation,
  type ParseResult,
  parseCredentialRequest,
} from '../functions/shared/requests';

/** The fields of the queue contract (see the README's Contract section), in the order shown. */
export const requestFields = [
  'leafUserId',
  'secretId',
  'provider',
  'requestedAt',
  'correlationId',
] as const;

export type RequestField = (typeof requestFields)[number];

/** What the command calls the two operations; the queue contract spells them in capitals. */
export const operationNames = ['provision', 'deprovision'] as const;

export type OperationName = (typeof operationNames)[number];

export const toOperation = (name: OperationName): Operation =>
  name === 'provision' ? 'PROVISION' : 'DEPROVISION';

// The functions' parser takes an SQS record; only the body and the send time matter to it.
const asRecord = (body: string): SQSRecord => {
  const now = String(Date.now());

  return {
    messageId: 'leaf-cnhi-check',
    receiptHandle: '',
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: now,
      SenderId: '',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: '',
    awsRegion: '',
  };
};

/**
 * Checks a message body with the very parser the functions apply, so the command refuses exactly
 * what the functions would dead-letter as malformed.
 */
export const checkRequestBody = (body: string, operation: Operation): ParseResult =>
  parseCredentialRequest(asRecord(body), operation);

/** Whether the functions take a field of this name for a credential (secrets never ride on queues). */
export const isCredentialField = (name: string): boolean => {
  const result = checkRequestBody(JSON.stringify({ [name]: 'x' }), 'DEPROVISION');

  return !result.ok && result.error.reason === 'INLINE_CREDENTIALS';
};

/** A Leaf user id as the functions accept it (lower-cased), or the functions' complaint about it. */
export const checkLeafUserId = (
  leafUserId: string,
): { ok: true; leafUserId: string } | { ok: false; message: string } => {
  const result = checkRequestBody(JSON.stringify({ leafUserId }), 'DEPROVISION');

  return result.ok
    ? { ok: true, leafUserId: result.request.leafUserId }
    : { ok: false, message: result.error.message };
};
