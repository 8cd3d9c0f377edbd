import ky, { type KyInstance, type RetryOptions } from 'ky';
import { z } from 'zod';
import { isProvisionerError, PermanentError, TransientError } from './errors';
import type { GrowerCredentials } from './grower-secret';
import { classifyLeafError, type LeafCallSite } from './leaf-errors';
import { leafRequestLimits } from './leaf-limits';
import { LeafTokenCache, tokenExpiry } from './leaf-token';
import { defaultFieldOpsEnvironment, type Provider, providers } from './providers';

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

export interface LeafClientOptions {
  /** Leaf's API root, e.g. `https://api.withleaf.io`. */
  readonly baseUrl: string;
  /** Upper bound of one HTTP attempt. */
  readonly requestTimeoutMs: number;
  /** Reads the API-owner account; `fresh` asks to bypass any cache (the password may have changed). */
  readonly apiOwner: (options: { fresh: boolean }) => Promise<ApiOwner>;
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
  #ownerRejected = false;

  constructor(options: LeafClientOptions) {
    this.#apiOwner = options.apiOwner;
    this.#http = ky.create({
      prefixUrl: options.baseUrl,
      timeout: options.requestTimeoutMs,
      retry: 0,
      headers: { accept: 'application/json' },
    });
    this.#tokens = new LeafTokenCache({ issue: () => this.#authenticate() });
  }

  /** Tokens obtained from Leaf so far by this client. */
  get authentications(): number {
    return this.#tokens.issued;
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

  async #authenticate() {
    const site = { method: 'POST', route: 'authenticate' };
    const owner = await this.#apiOwner({ fresh: this.#ownerRejected });
    try {
      const response = await this.#http.post('api/authenticate', {
        json: { username: owner.username, password: owner.password, rememberMe: false },
        // Authenticating changes nothing at Leaf, so it is safe to repeat after a 5xx or 429.
        retry: this.#retry(20_000, ['post']),
      });
      const answer = tokenAnswer.safeParse(await response.json());
      if (!answer.success) {
        throw new TransientError('LEAF_INVALID_RESPONSE', 'Leaf sent no id_token', site);
      }
      this.#ownerRejected = false;
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
          retry: this.#retry(remaining, ['get', 'delete']),
        });
      } catch (error) {
        const failure = await classifyLeafError(error, site);
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

  #retry(budgetMs: number, methods: RetryOptions['methods']): RetryOptions {
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
