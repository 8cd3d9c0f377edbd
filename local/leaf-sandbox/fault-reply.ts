import { STATUS_CODES } from 'node:http';
import { problemReply } from './problem';
import { emptyReply, jsonReply, type Reply } from './reply';
import type { FaultAction } from './types';

type ReplyingFault = Extract<FaultAction, { kind: 'status' | 'rate-limit' | 'expire-token' }>;

const statusFaultReply = (fault: Extract<FaultAction, { kind: 'status' }>, path: string): Reply => {
  const reason = STATUS_CODES[fault.status] ?? 'Error';
  switch (fault.body ?? 'problem') {
    case 'html':
      // What a load balancer or gateway in front of Leaf would send.
      return {
        status: fault.status,
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: `<html><head><title>${fault.status} ${reason}</title></head><body><h1>${reason}</h1></body></html>`,
      };
    case 'empty':
      return emptyReply(fault.status);
    case 'invalid-json':
      return {
        status: fault.status,
        headers: { 'content-type': 'application/json' },
        body: `{"status": ${fault.status}, "message": "truncated`,
      };
    default:
      return problemReply(
        fault.status,
        path,
        'injectedFault',
        `Injected ${fault.status} ${reason}`,
      );
  }
};

/** The answer a status, rate-limit or expire-token fault sends instead of the route's. */
export const faultReply = (fault: ReplyingFault, path: string): Reply => {
  switch (fault.kind) {
    case 'status':
      return statusFaultReply(fault, path);
    case 'rate-limit': {
      const retryAfter = fault.retryAfterSeconds;
      const headers: Record<string, string> =
        retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };

      // The shape of Leaf's draft rate-limit page, not problem JSON.
      return jsonReply(
        429,
        { error: 'Too Many Requests', message: 'Rate limit exceeded', status_code: 429 },
        headers,
      );
    }
    case 'expire-token':
      return problemReply(401, path, 'tokenExpired', 'The token has expired', {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
  }
};

/** A body long enough to cut in half: what drop-mid-body starts sending. */
export const midBodyPayload = (status: number): Reply =>
  jsonReply(status, {
    id: '00000000-0000-4000-8000-000000000000',
    status: 'OK',
    note: 'this answer is cut before its end',
  });
