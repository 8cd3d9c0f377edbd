import {
  type LeafSandbox,
  type LeafSandboxOptions,
  type Provider,
  startLeafSandbox,
} from '../../../local/leaf-sandbox/server';

/** The API owner every fixture sandbox accepts. */
export const owner = { username: 'api-owner@example.com', password: 'correct-horse-battery' };

/** A Leaf user every fixture sandbox knows. */
export const leafUserId = '3f0c1f9e-8a56-4d3c-9a0b-2f8f5f7f2a11';

/** A well-formed UUID no fixture sandbox knows. */
export const unknownUserId = '9b2e7d41-0c3a-4f5e-8d6b-1a2b3c4d5e6f';

/** A complete credential body, valid for both providers. */
export const credentialBody = {
  clientId: 'cnhi-client-id',
  clientSecret: 'cnhi-client-secret',
  subscriptionKey: 'cnhi-subscription-key',
  refreshToken: 'cnhi-refresh-token',
  clientEnvironment: 'STAGE',
} as const;

/** Starts a sandbox with the fixture owner and user. */
export const startSandbox = (options: Partial<LeafSandboxOptions> = {}): Promise<LeafSandbox> =>
  startLeafSandbox({ apiOwners: [owner], users: [leafUserId], ...options });

/** Authenticates as the fixture owner and returns the token. */
export const authenticate = async (sandbox: LeafSandbox): Promise<string> => {
  const response = await fetch(`${sandbox.url}/api/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...owner, rememberMe: false }),
  });
  const body = (await response.json()) as { id_token: string };

  return body.id_token;
};

const providerPaths: Record<Provider, string> = {
  cnhi: 'cnhi-credentials',
  'cnhi-fieldops': 'cnhi-field-ops-credentials',
};

/** The credentials URL of a Leaf user and provider. */
export const credentialsUrl = (
  sandbox: LeafSandbox,
  provider: Provider = 'cnhi',
  userId: string = leafUserId,
): string =>
  `${sandbox.url}/services/usermanagement/api/users/${userId}/${providerPaths[provider]}`;

/** Calls a credentials route with a Bearer token and an optional JSON body. */
export const callCredentials = (
  sandbox: LeafSandbox,
  token: string,
  method: 'GET' | 'POST' | 'DELETE',
  options: { provider?: Provider; userId?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<Response> =>
  fetch(credentialsUrl(sandbox, options.provider, options.userId), {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });

/** Decodes a JWT part (header or payload) without checking anything. */
export const decodeJwtPart = (token: string, index: 0 | 1): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >;
