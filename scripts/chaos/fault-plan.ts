import type { FaultRule } from '../../local/leaf-sandbox/types';
import type { FaultRates } from './options';

// How far past the client's timeout a slow answer comes: long enough that the client has given up,
// short enough that the write still lands while later requests for the same user are under way.
const lateByMs = 500;
const retryAfterSeconds = 1;

type Planned = { readonly share: number; readonly rule: FaultRule };

/**
 * The sandbox's fault rules for the given rates. The sandbox tries rules in order and stops at the
 * first terminal one that fires, so each rule's probability is its share divided by what the rules
 * before it left over; the shares then hold for every Leaf request. Latency is not terminal, so it
 * goes last. 5xx and 429 hit authentication too; the others only the credential routes, since
 * Leaf refusing a valid login with 400 is not a failure of this product to survive.
 */
export const faultRules = (rates: FaultRates, leafRequestTimeoutMs: number): FaultRule[] => {
  const credentials = { route: 'credentials' } as const;
  const planned: Planned[] = [
    { share: rates.rateLimit, rule: { kind: 'rate-limit', retryAfterSeconds } },
    { share: rates.serverError / 4, rule: { kind: 'status', status: 500 } },
    { share: rates.serverError / 4, rule: { kind: 'status', status: 502, body: 'html' } },
    { share: rates.serverError / 4, rule: { kind: 'status', status: 503, body: 'empty' } },
    { share: rates.serverError / 4, rule: { kind: 'status', status: 504, body: 'invalid-json' } },
    { share: rates.badRequest, rule: { kind: 'status', status: 400, match: credentials } },
    { share: rates.drop / 2, rule: { kind: 'drop', match: credentials } },
    { share: rates.drop / 2, rule: { kind: 'drop-after-apply', match: credentials } },
    { share: rates.timeout / 2, rule: { kind: 'hang', match: credentials } },
    {
      share: rates.timeout / 2,
      rule: { kind: 'latency', ms: leafRequestTimeoutMs + lateByMs, match: credentials },
    },
  ];

  let left = 1;

  return planned
    .filter(({ share }) => share > 0)
    .map(({ share, rule }) => {
      const probability = Math.min(1, share / left);
      left -= share;

      return { ...rule, probability };
    });
};
