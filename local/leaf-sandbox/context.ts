import type { TokenIssuer } from './auth';
import type { CredentialStore } from './state';
import type { StatsRecorder } from './stats';
import type { SecondPostMode } from './types';
import type { WebhookRegistry } from './webhooks';

/** The sandbox state Leaf routes read and change. */
export interface LeafContext {
  readonly tokens: TokenIssuer;
  readonly store: CredentialStore;
  readonly stats: StatsRecorder;
  readonly secondPost: () => SecondPostMode;
  readonly webhooks: WebhookRegistry;
}

/** What a Leaf route sees of a request, body already read. */
export interface LeafRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: string;
  readonly authorization: string | undefined;
}
