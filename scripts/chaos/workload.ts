import { randomUUID } from 'node:crypto';
import type { Operation } from '../../functions/shared/requests';
import type { Random } from './random';

export type Provider = 'cnhi' | 'cnhi-fieldops';

/** Each (user, provider) has two grower secrets, so a provision can replace one with the other. */
export type SecretVersion = 'v1' | 'v2';

/** One request a producer means to make; sent once, or twice when duplicated. */
export interface PlannedRequest {
  /** `k<key>-<position>`, also sent as the correlation id. */
  readonly id: string;
  readonly key: string;
  readonly leafUserId: string;
  readonly provider: Provider;
  /** Place in the key's timeline: a larger position is a newer request. */
  readonly position: number;
  readonly operation: Operation;
  readonly secretVersion?: SecretVersion;
  /**
   * Absent for a producer that leaves the time to SQS: the send time then orders the request,
   * which is why only a key's newest request may leave it out.
   */
  readonly requestedAt?: string;
  /** Send `provider` even for `cnhi`, the default; half the producers leave it out. */
  readonly namesProvider: boolean;
}

/** One message to send. */
export interface PlannedSend {
  readonly request: PlannedRequest;
  /** 0 for the original, 1 for a second send of the same body. */
  readonly copy: number;
  /** Also hand this message straight to a handler, as a second delivery of it. */
  readonly redeliver: boolean;
}

/** The requests of one (user, provider), oldest first. */
export interface KeyPlan {
  readonly key: string;
  readonly index: number;
  readonly leafUserId: string;
  readonly provider: Provider;
  readonly requests: readonly PlannedRequest[];
}

export interface Workload {
  readonly users: readonly string[];
  readonly keys: readonly KeyPlan[];
  /** In the order to send them. */
  readonly sends: readonly PlannedSend[];
}

export interface WorkloadShape {
  /** Requests per key, from and to. @default [2, 6] */
  readonly perKey?: readonly [number, number];
  /** Share of requests sent twice with the same body. @default 0.08 */
  readonly duplicateShare?: number;
  /** Share of messages also handed straight to a handler. @default 0.04 */
  readonly redeliverShare?: number;
  /** Share of keys whose requests are sent in a shuffled order. @default 0.35 */
  readonly shuffledShare?: number;
  /** Share of keys whose newest request carries no requestedAt. @default 0.15 */
  readonly implicitTimeShare?: number;
  /** Part of the run over which one key's messages are spread. @default 0.12 */
  readonly spread?: number;
}

export const keyOf = (leafUserId: string, provider: Provider) => `${leafUserId}#${provider}`;

// Requested times lie in the past, a minute or so apart per key, so they are unique and ordered;
// a request without one is timed at its send and so is newer than all of them.
const timelineStart = () => Date.now() - 6 * 60 * 60_000;

// Some producers send a local time with an offset; the product must order it as the same instant.
const asProducerTime = (ms: number, random: Random): string => {
  if (!random.chance(0.1)) {
    return new Date(ms).toISOString();
  }
  const shifted = new Date(ms + 2 * 60 * 60_000).toISOString().replace('Z', '+02:00');

  return shifted;
};

const operationAt = (position: number, previous: PlannedRequest | undefined, random: Random) => {
  if (position === 0) {
    return random.chance(0.9) ? 'PROVISION' : 'DEPROVISION';
  }
  if (previous?.operation === 'DEPROVISION') {
    return random.chance(0.85) ? 'PROVISION' : 'DEPROVISION';
  }

  return random.chance(0.35) ? 'DEPROVISION' : 'PROVISION';
};

const planKey = (
  index: number,
  leafUserId: string,
  provider: Provider,
  length: number,
  start: number,
  random: Random,
  implicitTime: boolean,
): KeyPlan => {
  const key = keyOf(leafUserId, provider);
  const requests: PlannedRequest[] = [];
  for (let position = 0; position < length; position++) {
    const operation = operationAt(position, requests[position - 1], random);
    const time = start + position * 60_000 + random.int(0, 59_999);
    const newest = position === length - 1;
    requests.push({
      id: `k${index}-${position}`,
      key,
      leafUserId,
      provider,
      position,
      operation,
      ...(operation === 'PROVISION' ? { secretVersion: random.pick(['v1', 'v2'] as const) } : {}),
      ...(newest && implicitTime ? {} : { requestedAt: asProducerTime(time, random) }),
      namesProvider: provider !== 'cnhi' || random.chance(0.5),
    });
  }

  return { key, index, leafUserId, provider, requests };
};

/**
 * Plans `total` messages: users with one or both providers, several requests per (user,
 * provider) mixing provisions of two secrets with deprovisions, some duplicated, some sent out of
 * order, some delivered twice. Each key's messages are spread over a short part of the run, so
 * its requests meet each other in the queues, the handlers and the status table.
 */
export const planWorkload = (
  total: number,
  random: Random,
  shape: WorkloadShape = {},
): Workload => {
  const [fewest, most] = shape.perKey ?? [2, 6];
  const spread = shape.spread ?? 0.12;
  const start = timelineStart();
  const users: string[] = [];
  const keys: KeyPlan[] = [];
  const slotted: { send: PlannedSend; slot: number }[] = [];

  while (slotted.length < total) {
    const leafUserId = randomUUID();
    users.push(leafUserId);
    const providers: Provider[] = random.chance(0.6)
      ? ['cnhi', 'cnhi-fieldops']
      : [random.pick(['cnhi', 'cnhi-fieldops'] as const)];
    for (const provider of providers) {
      const left = total - slotted.length;
      if (left <= 0) {
        break;
      }
      const length = Math.min(left, random.int(fewest, most));
      const plan = planKey(
        keys.length,
        leafUserId,
        provider,
        length,
        start,
        random,
        random.chance(shape.implicitTimeShare ?? 0.15),
      );
      keys.push(plan);

      const centre = random.next();
      const order = random.chance(shape.shuffledShare ?? 0.35)
        ? random.shuffle(plan.requests)
        : plan.requests;
      const slots = order.map(() => centre + (random.next() - 0.5) * spread).sort((a, b) => a - b);
      for (const [i, request] of order.entries()) {
        if (slotted.length >= total) {
          break;
        }
        const slot = slots[i] as number;
        const redeliver = () =>
          request.requestedAt !== undefined && random.chance(shape.redeliverShare ?? 0.04);
        slotted.push({ send: { request, copy: 0, redeliver: redeliver() }, slot });
        if (slotted.length < total && random.chance(shape.duplicateShare ?? 0.08)) {
          slotted.push({
            send: { request, copy: 1, redeliver: redeliver() },
            slot: slot + random.next() * spread,
          });
        }
      }
    }
  }
  // A key planned near the end may have lost requests to the total; drop those it never sends.
  const sent = new Set(slotted.map(({ send }) => send.request.id));
  const trimmed = keys.map((plan) => ({
    ...plan,
    requests: plan.requests.filter((request) => sent.has(request.id)),
  }));

  return {
    users,
    keys: trimmed,
    sends: slotted.sort((a, b) => a.slot - b.slot).map(({ send }) => send),
  };
};
