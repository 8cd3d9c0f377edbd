import type { FaultAction, FaultRule, LeafRoute } from './types';

/** What the fault rules decided for one request. */
export interface FaultDecision {
  /** Extra delay from latency rules, which never end the matching. */
  readonly delayMs: number;
  /** The first terminal fault that fired, if any. */
  readonly action?: Exclude<FaultAction, { kind: 'latency' }>;
  /** How many rules fired, latency included. */
  readonly fired: number;
}

/** The parts of a request a fault rule can match. */
export interface FaultTarget {
  readonly method: string;
  readonly path: string;
  readonly route: LeafRoute | undefined;
}

interface ActiveRule {
  readonly rule: FaultRule;
  remaining: number;
}

// Used when no seed is given, so unseeded runs are reproducible too.
const defaultSeed = 0x1eaf;

// mulberry32: tiny, fast and good enough to decide faults; not for anything secret.
const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;

  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);

    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const matches = (rule: FaultRule, target: FaultTarget): boolean => {
  const match = rule.match;
  if (match === undefined) {
    return true;
  }
  if (match.method !== undefined && match.method.toUpperCase() !== target.method.toUpperCase()) {
    return false;
  }
  if (match.route !== undefined && match.route !== target.route) {
    return false;
  }
  if (typeof match.path === 'string') {
    return target.path.includes(match.path);
  }
  if (match.path instanceof RegExp) {
    // A global or sticky RegExp keeps state between test() calls; a copy without it does not.
    return new RegExp(match.path.source, match.path.flags.replace(/[gy]/g, '')).test(target.path);
  }

  return true;
};

/** Throws a RangeError, quoting the rule, when a fault rule cannot work. */
export const checkFaultRule = (rule: FaultRule): void => {
  const given = `(given ${JSON.stringify(rule)})`;
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) {
    throw new RangeError(`A fault's times must be a positive integer ${given}`);
  }
  if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
    throw new RangeError(`A fault's probability must be between 0 and 1 ${given}`);
  }
  const status = rule.kind === 'status' || rule.kind === 'drop-mid-body' ? rule.status : undefined;
  if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) {
    throw new RangeError(`A fault's status must be an HTTP status from 200 to 599 ${given}`);
  }
  if (rule.kind === 'latency' && !(rule.ms >= 0)) {
    throw new RangeError(`A latency fault needs ms >= 0 ${given}`);
  }
  if (rule.kind === 'rate-limit' && rule.retryAfterSeconds !== undefined) {
    if (!(Number.isInteger(rule.retryAfterSeconds) && rule.retryAfterSeconds >= 0)) {
      throw new RangeError(`retryAfterSeconds must be a whole number >= 0 ${given}`);
    }
  }
};

/** The injected fault rules, matched in order, with a seeded generator for probabilities. */
export class FaultBook {
  readonly #seed: number;
  #random: () => number;
  #rules: ActiveRule[] = [];

  constructor(seed: number = defaultSeed) {
    this.#seed = seed;
    this.#random = seededRandom(seed);
  }

  /** Appends a rule after validating it. */
  add(rule: FaultRule): void {
    checkFaultRule(rule);
    this.#rules.push({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
  }

  /** Drops every rule; the generator keeps its position. */
  clear(): void {
    this.#rules = [];
  }

  /** Drops every rule and restarts the generator from the seed. */
  reset(): void {
    this.clear();
    this.#random = seededRandom(this.#seed);
  }

  /** The rules still active, in order. */
  rules(): FaultRule[] {
    return this.#rules.map((active) => active.rule);
  }

  /** Decides which faults apply to a request and uses up their `times`. */
  decide(target: FaultTarget): FaultDecision {
    let delayMs = 0;
    let fired = 0;
    for (const active of [...this.#rules]) {
      if (!matches(active.rule, target)) {
        continue;
      }
      const probability = active.rule.probability;
      // Drawn only for matching rules, so unrelated traffic does not shift the sequence.
      if (probability !== undefined && this.#random() >= probability) {
        continue;
      }
      fired += 1;
      active.remaining -= 1;
      if (active.remaining <= 0) {
        this.#rules = this.#rules.filter((other) => other !== active);
      }
      const { rule } = active;
      if (rule.kind === 'latency') {
        delayMs += rule.ms;
        continue;
      }

      return { delayMs, action: rule, fired };
    }

    return { delayMs, fired };
  }
}
