/** A credential provider the sandbox serves: legacy CNHI (AFS Connect) or CNHI FieldOps. */
export type Provider = 'cnhi' | 'cnhi-fieldops';

/** How the sandbox answers a POST while the Leaf user already holds that provider's credential. */
export type SecondPostMode = 'replace' | 'conflict' | 'bad-request';

/** CNH's environment a credential was issued for. */
export type ClientEnvironment = 'STAGE' | 'PRODUCTION';

/** A Leaf API-owner account allowed to authenticate. */
export interface ApiOwner {
  readonly username: string;
  readonly password: string;
}

/** The secret fields a client POSTs; Leaf echoes all of them back. */
export interface CredentialInput {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly subscriptionKey: string;
  readonly refreshToken: string;
  readonly clientEnvironment: ClientEnvironment;
}

/** A credential as the sandbox holds it and as Leaf returns it from POST and GET. */
export interface LeafCredential extends CredentialInput {
  readonly id: string;
  /** Opaque to clients: `OK` is healthy, anything else needs attention. */
  readonly status: string;
  /** UTC, `yyyy-MM-ddTHH:mm:ss.SSSSSSZ`. */
  readonly createdTime: string;
}

/** One entry of a credential's events log, as `GET .../events` returns it. */
export interface LeafCredentialEvent {
  readonly id: string;
  readonly createdTime: string;
  readonly method: string;
  readonly status: number;
}

/** The Leaf routes a fault rule can target by name. */
export type LeafRoute = 'authenticate' | 'credentials' | 'alerts';

/** Which requests a fault rule applies to; every given field must match. */
export interface FaultMatch {
  /** Case-insensitive HTTP method. */
  readonly method?: string;
  /** A string matches as a substring of the path (no query); a RegExp is tested against it. */
  readonly path?: RegExp | string;
  /** `credentials` covers both providers and their events logs. */
  readonly route?: LeafRoute;
}

/** What a fault does to a matching request. */
export type FaultAction =
  | {
      readonly kind: 'status';
      /** 200 to 599. */
      readonly status: number;
      /** @default 'problem' */
      readonly body?: 'problem' | 'html' | 'empty' | 'invalid-json';
    }
  | { readonly kind: 'rate-limit'; readonly retryAfterSeconds?: number }
  | { readonly kind: 'latency'; readonly ms: number }
  | { readonly kind: 'drop' }
  | {
      readonly kind: 'drop-mid-body';
      /** Status sent in the headers before the body is cut. @default 200 */
      readonly status?: number;
    }
  | { readonly kind: 'drop-after-apply' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'expire-token' };

/** The kinds of fault the sandbox can inject. */
export type FaultKind = FaultAction['kind'];

/**
 * A fault and the requests it applies to. Without `times` or `probability` it applies to every
 * matching request until the faults are cleared.
 */
export type FaultRule = FaultAction & {
  readonly match?: FaultMatch;
  /** Apply to the next N matching requests only. */
  readonly times?: number;
  /** Chance (0..1) to apply to each matching request, drawn from the seeded generator. */
  readonly probability?: number;
};

/** One answered (or unanswered) Leaf request; never holds bodies or headers. */
export interface RequestLogEntry {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** 0 when no complete answer was sent (dropped, cut mid-body, hung until close). */
  readonly status: number;
  readonly ms: number;
  /** The terminal fault that decided the answer, if any. */
  readonly fault?: FaultKind;
}

/** Counters over Leaf requests since start or the last reset; control routes are not counted. */
export interface SandboxStats {
  /** Requests to `/api/authenticate`, whatever their outcome. */
  readonly authCalls: number;
  readonly tokensIssued: number;
  readonly requests: number;
  /** Writes applied: POSTs that created or replaced a credential, DELETEs that removed one. */
  readonly writes: { readonly post: number; readonly delete: number };
  /** Complete answers by HTTP status. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Fault rules that fired, latency included. */
  readonly faultsInjected: number;
  /** The most recent requests, oldest first, capped at 10 000 entries. */
  readonly log: readonly RequestLogEntry[];
}

/** A webhook registered through `POST /services/alerts/api/alerts/webhooks`, less its secret. */
export interface RegisteredWebhook {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly events: readonly string[];
}

/** How a sandbox webhook call is signed: correctly, with a wrong key, or not at all. */
export type WebhookSignatureMode = 'valid' | 'invalid' | 'missing';

/** Options of a webhook call the test asks for. */
export interface WebhookEventOptions {
  /** @default 'valid' */
  readonly signature?: WebhookSignatureMode;
  /** Only this webhook. @default every registered webhook */
  readonly webhookId?: string;
}

/** One call the sandbox made to a webhook URL. */
export interface WebhookDelivery {
  readonly id: string;
  readonly webhookId: string;
  readonly url: string;
  /** The payload's `type`; absent for the registration confirmation. */
  readonly type?: string;
  readonly signature: WebhookSignatureMode;
  /** The receiver's HTTP status; 0 when it did not answer. */
  readonly status: number;
  /** The exact body sent, as signed. */
  readonly body: string;
  /** The delivery this one repeats byte for byte. */
  readonly replayOf?: string;
}
