import type {
  ApiOwner,
  FaultRule,
  LeafCredential,
  Provider,
  RegisteredWebhook,
  SandboxStats,
  SecondPostMode,
  WebhookDelivery,
  WebhookEventOptions,
} from './types';

/** Options of {@link LeafSandbox}; every one can be changed later except the address and key. */
export interface LeafSandboxOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Accounts that may authenticate; at least one. */
  readonly apiOwners: readonly ApiOwner[];
  /** Known Leaf user ids (UUIDs). @default [] */
  readonly users?: readonly string[];
  /** @default 'conflict' */
  readonly secondPost?: SecondPostMode;
  /** Token lifetime, whatever rememberMe says. @default 24 h, or 30 days with rememberMe */
  readonly tokenTtlSeconds?: number;
  /** Delay added before every Leaf answer. @default 0 */
  readonly latencyMs?: number;
  /** Seed of the generator behind fault probabilities. @default 0x1eaf */
  readonly seed?: number;
  /** Largest request body accepted, in bytes; larger gets 413. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Receives one line per Leaf request (method, path, status, ms); never bodies or headers. */
  readonly log?: (line: string) => void;
}

/** A running Leaf sandbox. */
export interface LeafSandbox {
  /** Base URL, e.g. `http://127.0.0.1:41234`; Leaf routes and `/__sandbox/` hang off it. */
  readonly url: string;
  /** Registers a Leaf user id (a UUID). */
  addUser(userId: string): void;
  setSecondPost(mode: SecondPostMode): void;
  setLatency(ms: number): void;
  /** The credential held for a user. @default provider 'cnhi' */
  credentials(userId: string, provider?: Provider): LeafCredential | undefined;
  /**
   * Changes a held credential's status, as Leaf's background checks do. A change to
   * `UNAUTHENTICATED` or `MISSING_PERMISSION` (or `LIMITED_PERMISSION`) also sends the matching
   * signed credential event to the webhooks registered for it; see {@link settleWebhooks}.
   */
  setCredentialStatus(userId: string, provider: Provider, status: string): void;
  /** Webhooks registered through Leaf's alerts API, without their secrets. */
  webhooks(): RegisteredWebhook[];
  /** Sends any payload to the registered webhooks, signed as asked; resolves with the calls. */
  sendWebhookEvent(
    payload: Readonly<Record<string, unknown>>,
    options?: WebhookEventOptions,
  ): Promise<WebhookDelivery[]>;
  /** Sends a logged webhook call again, byte for byte with its signature; the last by default. */
  replayWebhook(deliveryId?: string): Promise<WebhookDelivery>;
  /** Every call made to a webhook (confirmations included), oldest first, up to 1000. */
  webhookDeliveries(): WebhookDelivery[];
  /** Resolves once every webhook call in flight has been answered or has failed. */
  settleWebhooks(): Promise<void>;
  /** Appends a fault rule; rules are matched in the order they were added. */
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Makes every token issued so far invalid (401 on next use). */
  expireTokens(): void;
  stats(): SandboxStats;
  /**
   * Forgets credentials, events, stats, faults, webhooks and their calls, and reseeds; keeps
   * users, owners, tokens.
   */
  reset(): void;
  /** Stops listening and destroys open sockets, hung and keep-alive ones included. */
  close(): Promise<void>;
}
