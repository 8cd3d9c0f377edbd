import ky, { type KyInstance, type RetryOptions } from 'ky';
import * as z from 'zod';
import { isProvisionerError, PermanentError, TransientError } from './errors';
import type { GrowerCredentials } from './grower-secret';
import { classifyLeafError, isUnanswered, type LeafCallSite } from './leaf-errors';
import { leafRequestLimits } from './leaf-limits';
import { LeafTokenCache, tokenExpiry } from './leaf-token';
import { defaultFieldOpsEnvironment, type Provider, providers } from './providers';
import type { RequestPacer } from './request-pacer';

/** Leaf's API-owner account, from its own secret. */
export interface ApiOwner {
  readonly username: string;
  readonly password: string;
}

/** The non-secret part of a credential Leaf holds: all an answer or a record may carry. */
export interface LeafCredentialSummary {
  readonly id: string;
  readonly status: string;
  readonly createdTime?: string;
  readonly clientEnvironment?: string;
  /** At most the last four characters of the client id, enough to tell two apart. */
  readonly clientIdLast4?: string;
}

/**
 * A credential as Leaf answered it. Leaf echoes every secret field; they stay behind `holds`, so
 * nothing that copies or logs this object can reach them.
 */
export interface LeafCredential {
  readonly summary: LeafCredentialSummary;
  /** True when Leaf holds exactly these credentials. */
  holds(credentials: GrowerCredentials): boolean;
}

/** Which call an HTTP attempt made: a method on a credential, or the token request. */
export type LeafCallName = 'GET' | 'POST' | 'DELETE' | 'AUTHENTICATE';

/** One HTTP attempt to Leaf as an observer sees it: no URL, header or body, so no id or secret. */
export interface LeafCallObservation {
  readonly call: LeafCallName;
  /** Time to Leaf's response headers, or to the failure when none came. */
  readonly durationMs: number;
  /** Leaf's HTTP status, or how the attempt ended without one. */
  readonly status: number | 'TIMEOUT' | 'NETWORK';
}

/** Hooks through which the client reports what it does, e.g. to metrics; it never logs itself. */
export interface LeafClientObserver {
  /** After every HTTP attempt, retries included. */
  readonly onCall?: (observation: LeafCallObservation) => void;
  /** After each bearer token Leaf issued. */
  readonly onTokenIssued?: () => void;
}

export interface LeafClientOptions {
  /** Leaf's API root, e.g. `https://api.withleaf.io`. */
  readonly baseUrl: string;
  /** Upper bound of one HTTP attempt. */
  readonly requestTimeoutMs: number;
  /** Reads the API-owner account; `fresh` asks to bypass any cache (the password may have changed). */
  readonly apiOwner: (options: { fresh: boolean }) => Promise<ApiOwner>;
  /** Told about every attempt and token; a throwing observer never fails a call. */
  readonly observer?: LeafClientObserver;
  /**
   * Spaces this client's HTTP attempts (token requests and retries included) to stay within its
   * share of Leaf's rate limit. Absent: unpaced, as local tools run.
   */
  readonly pace?: RequestPacer;
}

/** Per-call limits: the call as a whole, retries included, must end within `budgetMs`. */
export interface CallOptions {
  readonly budgetMs: number;
}

const tokenAnswer = z.object({ id_token: z.string().min(1) });

const credentialAnswer = z.looseObject({
  id: z.string().min(1),
  status: z.string().default('UNKNOWN'),
  createdTime: z.string().optional(),
  clientEnvironment: z.string().optional(),
  clientId: z.string().optional(),
  clientSecret: z.string().optional(),
  subscriptionKey: z.string().optional(),
  refreshToken: z.string().optional(),
});

// A token without a readable `exp` is assumed to live as Leaf documents (24 hours).
const documentedTokenLifetimeMs = 24 * 60 * 60 * 1000;
const maxRetryAfterMs = 5_000;

// By name, not `instanceof`: fetch's errors come from Node's own realm (see leaf-errors.ts).
const isAbort = (error: unknown): boolean => {
  const name = (error as { name?: unknown } | null)?.name;

  return name === 'TimeoutError' || name === 'AbortError';
};

const credentialPath = (leafUserId: string, provider: Provider) =>
  `services/usermanagement/api/users/${encodeURIComponent(leafUserId)}/${providers[provider].leafPath}`;

const toCredential = (body: unknown, provider: Provider, site: LeafCallSite): LeafCredential => {
  const result = credentialAnswer.safeParse(body);
  if (!result.success) {
    throw new TransientError(
      'LEAF_INVALID_RESPONSE',
      `Leaf's answer to ${site.method} ${site.route} lacks a credential id`,
      site,
    );
  }
  const answer = result.data;
  const environment =
    answer.clientEnvironment ??
    (provider === 'cnhi-fieldops' ? defaultFieldOpsEnvironment : undefined);

  return {
    summary: {
      id: answer.id,
      status: answer.status,
      createdTime: answer.createdTime,
      clientEnvironment: answer.clientEnvironment,
      clientIdLast4:
        answer.clientId && answer.clientId.length > 8 ? answer.clientId.slice(-4) : undefined,
    },
    holds: (credentials) =>
      answer.clientId === credentials.clientId &&
      answer.clientSecret === credentials.clientSecret &&
      answer.subscriptionKey === credentials.subscriptionKey &&
      answer.refreshToken === credentials.refreshToken &&
      environment === credentials.clientEnvironment,
  };
};

/**
 * Leaf's credential endpoints for one API owner. One instance lives per execution environment:
 * it keeps the HTTP connection pool and the bearer token across invocations.
 */
export class LeafClient {
  readonly #http: KyInstance;
  readonly #tokens: LeafTokenCache;
  readonly #apiOwner: LeafClientOptions['apiOwner'];
  readonly #observer: LeafClientObserver;
  readonly #pace: RequestPacer | undefined;
  readonly #requestTimeoutMs: number;
  #ownerRejected = false;

  constructor(options: LeafClientOptions) {
    this.#apiOwner = options.apiOwner;
    this.#observer = options.observer ?? {};
    this.#pace = options.pace;
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.#http = ky.create({
      prefixUrl: options.baseUrl,
      timeout: options.requestTimeoutMs,
      retry: 0,
      headers: { accept: 'application/json' },
      fetch: this.#timedFetch(),
    });
    this.#tokens = new LeafTokenCache({ issue: () => this.#authenticate() });
  }

  /** Tokens obtained from Leaf so far by this client. */
  get authentications(): number {
    return this.#tokens.issued;
  }

  /** How long a request asked now would wait for its pace slot; 0 when unpaced. */
  paceWaitMs(): number {
    return this.#pace?.waitMs() ?? 0;
  }

  /** The credential Leaf holds for the user, or undefined when it holds none. */
  async getCredential(leafUserId: string, provider: Provider, options: CallOptions) {
    const site = { method: 'GET', route: providers[provider].leafPath };
    const response = await this.#send(site, credentialPath(leafUserId, provider), options, {
      absentOn404: true,
    });
    if (!response) {
      return undefined;
    }

    return toCredential(await this.#json(response, site), provider, site);
  }

  /** Gives Leaf the grower's credentials; callers first make sure none are held (see provisioning). */
  async createCredential(
    leafUserId: string,
    provider: Provider,
    credentials: GrowerCredentials,
    options: CallOptions,
  ): Promise<LeafCredential> {
    const site = { method: 'POST', route: providers[provider].leafPath };
    const response = await this.#send(site, credentialPath(leafUserId, provider), options, {
      json: credentials,
    });

    return toCredential(await this.#json(response as Response, site), provider, site);
  }

  /** Removes the credential; `absent` when Leaf held none, which is as good as removed. */
  async deleteCredential(leafUserId: string, provider: Provider, options: CallOptions) {
    const site = { method: 'DELETE', route: providers[provider].leafPath };
    const response = await this.#send(site, credentialPath(leafUserId, provider), options, {
      absentOn404: true,
    });
    await response?.body?.cancel();

    return response ? ('removed' as const) : ('absent' as const);
  }

  /**
   * An authenticated JSON call to another Leaf API (the alerts API), with the token handling and
   * retries of the credential calls, for sibling clients such as leaf-alerts-client.ts. Resolves
   * Leaf's parsed answer, which the caller must treat as secret until it has picked its fields.
   */
  async callJson(
    site: LeafCallSite,
    path: string,
    options: CallOptions & { readonly json?: unknown },
  ): Promise<unknown> {
    const response = await this.#send(site, path, options, { json: options.json });

    return this.#json(response as Response, site);
  }

  async #authenticate() {
    const site = { method: 'POST', route: 'authenticate' };
    const owner = await this.#apiOwner({ fresh: this.#ownerRejected });
    try {
      const response = await this.#http.post('api/authenticate', {
        json: { username: owner.username, password: owner.password, rememberMe: false },
        // Authenticating changes nothing at Leaf, so it is safe to repeat after a 5xx or 429.
        retry: this.#retry(20_000, ['post']),
        fetch: this.#timedFetch('AUTHENTICATE'),
        // No deadline: the token serves every record, so its request waits its turn like any.
        hooks: { beforeRequest: this.#paced(site) },
      });
      const answer = tokenAnswer.safeParse(await response.json());
      if (!answer.success) {
        throw new TransientError('LEAF_INVALID_RESPONSE', 'Leaf sent no id_token', site);
      }
      this.#ownerRejected = false;
      this.#notify(() => this.#observer.onTokenIssued?.());
      const now = Date.now();

      return {
        token: answer.data.id_token,
        expiresAt: tokenExpiry(answer.data.id_token, now, documentedTokenLifetimeMs),
      };
    } catch (error) {
      const failure = isProvisionerError(error) ? error : await classifyLeafError(error, site);
      if (failure.reason === 'LEAF_UNAUTHORIZED') {
        this.#ownerRejected = true;
        throw new PermanentError('LEAF_AUTH_REJECTED', 'Leaf refused the API-owner account', site);
      }
      throw failure;
    }
  }

  /**
   * One authenticated call. Idempotent calls are retried inside the budget on 429 and 5xx; a 401
   * renews the token once, then counts as permanent. Resolves undefined for a 404 when the
   * caller reads absence as an answer.
   */
  async #send(
    site: LeafCallSite,
    path: string,
    options: CallOptions,
    request: { json?: unknown; absentOn404?: boolean },
  ): Promise<Response | undefined> {
    const deadline = Date.now() + options.budgetMs;

    for (let renewed = false; ; renewed = true) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new TransientError(
          'LEAF_TIMEOUT',
          `no time left for ${site.method} ${site.route}`,
          site,
        );
      }
      const token = await this.#tokens.get();
      try {
        return await this.#http(path, {
          method: site.method,
          json: request.json,
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(remaining),
          retry: this.#retry(remaining, ['get', 'delete'], site.method),
          hooks: { beforeRequest: this.#paced(site, deadline) },
        });
      } catch (error) {
        // A refused pace slot arrives as our own error; anything else is ky's or fetch's.
        const failure = isProvisionerError(error) ? error : await classifyLeafError(error, site);
        if (failure.reason === 'LEAF_UNAUTHORIZED' && !renewed) {
          this.#tokens.invalidate(token);
          continue;
        }
        if (failure.reason === 'LEAF_USER_NOT_FOUND' && request.absentOn404) {
          return undefined;
        }
        throw failure;
      }
    }
  }

  /**
   * fetch, timed for the observer. ky calls it once per attempt, so retries are measured one by
   * one and a slow Leaf is not hidden behind the backoff between them. `call` defaults to the
   * request's method: credential calls are GET, POST or DELETE only.
   */
  #timedFetch(call?: LeafCallName): typeof fetch {
    return async (input, init) => {
      const started = performance.now();
      const name = call ?? ((input as Request).method as LeafCallName);
      const observe = (status: LeafCallObservation['status']) =>
        this.#notify(() =>
          this.#observer.onCall?.({
            call: name,
            durationMs: performance.now() - started,
            status,
          }),
        );
      try {
        const response = await fetch(input, init);
        observe(response.status);

        return response;
      } catch (error) {
        observe(isAbort(error) ? 'TIMEOUT' : 'NETWORK');
        throw error;
      }
    };
  }

  /**
   * The hook that takes a pace slot before each attempt. ky runs beforeRequest hooks ahead of its
   * per-attempt timeout, and again before every retry, so a wait for a slot never eats into an
   * attempt's own time. An attempt that would have to wait is made only when a whole attempt
   * still fits between its slot and `deadline`; otherwise the call fails at once with
   * NOT_ENOUGH_TIME (the consumer defers the record) instead of waiting and then timing out.
   */
  #paced(site: LeafCallSite, deadline?: number): Array<() => Promise<void>> {
    const pace = this.#pace;
    if (!pace) {
      return [];
    }

    return [
      async () => {
        const latestStart =
          deadline === undefined
            ? undefined
            : Math.max(Date.now(), deadline - this.#requestTimeoutMs);
        if (!(await pace({ latestStart }))) {
          throw new TransientError(
            'NOT_ENOUGH_TIME',
            `no Leaf request slot before the deadline for ${site.method} ${site.route}`,
            site,
          );
        }
      },
    ];
  }

  #notify(report: () => void): void {
    try {
      report();
    } catch {
      // Observing is a side line: a broken metrics hook must not fail a grower's request.
    }
  }

  #retry(budgetMs: number, methods: RetryOptions['methods'], method?: string): RetryOptions {
    return {
      limit: leafRequestLimits.retryLimit,
      methods,
      statusCodes: [408, 429, 500, 502, 503, 504],
      afterStatusCodes: [429, 503],
      // A Retry-After longer than half the time left is better served by the queue's redelivery.
      maxRetryAfter: Math.min(maxRetryAfterMs, budgetMs / 2),
      backoffLimit: 2_000,
      jitter: true,
      retryOnTimeout: true,
      // A refused pace slot would only be refused again. A DELETE without an answer may still be
      // applied later: sent again and answered, it would let the caller go on (a POST of the
      // replacement, a newer request) and be undone by the first. The caller's retry reads Leaf
      // first instead. Undefined leaves ky's own rules.
      shouldRetry: ({ error }) =>
        isProvisionerError(error) || (method === 'DELETE' && isUnanswered(error))
          ? false
          : undefined,
    };
  }

  async #json(response: Response, site: LeafCallSite): Promise<unknown> {
    try {
      return await response.json();
    } catch (error) {
      throw await classifyLeafError(error, site);
    }
  }
}
