import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { providers } from '../../functions/shared/providers';
import type { LeafCredentialEvent } from '../../local/leaf-sandbox/types';
import type { LocalEnvironment } from '../../local/local-environment';
import type { KeyPlan } from './workload';

/** Writes Leaf applied to one (user, provider): created credentials and removed ones. */
export interface LeafWrites {
  readonly post: number;
  readonly delete: number;
}

const authenticate = async (env: LocalEnvironment): Promise<string> => {
  const secrets = new SecretsManagerClient({});
  try {
    const { SecretString } = await secrets.send(
      new GetSecretValueCommand({ SecretId: env.resources.apiOwnerSecretId }),
    );
    const owner = JSON.parse(SecretString ?? '{}') as { username?: string; password?: string };
    const response = await fetch(`${env.sandbox.url}/api/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: owner.username, password: owner.password }),
    });
    const answer = (await response.json()) as { id_token?: string };
    if (!answer.id_token) {
      throw new Error(`Leaf sandbox refused the API owner (${response.status})`);
    }

    return answer.id_token;
  } finally {
    secrets.destroy();
  }
};

/**
 * Counts, per (user, provider), the writes Leaf applied, from Leaf's own events log: each request
 * that reached the credential route is logged in the order it was applied, with the status the
 * route gave it, even when the answer was then dropped or came too late for the client. The
 * sandbox's totals cannot tell whose writes they were; this can. Call with faults cleared.
 */
export const readLeafWrites = async (
  env: LocalEnvironment,
  keys: readonly KeyPlan[],
): Promise<Map<string, LeafWrites>> => {
  const token = await authenticate(env);
  const writes = new Map<string, LeafWrites>();
  for (const plan of keys) {
    const path = `services/usermanagement/api/users/${plan.leafUserId}/${providers[plan.provider].leafPath}/events`;
    const response = await fetch(`${env.sandbox.url}/${path}?size=100000`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!response.ok) {
      throw new Error(`Leaf sandbox answered ${response.status} to its events log`);
    }
    const events = (await response.json()) as LeafCredentialEvent[];
    writes.set(plan.key, {
      post: events.filter((event) => event.method === 'POST' && event.status === 201).length,
      delete: events.filter((event) => event.method === 'DELETE' && event.status === 204).length,
    });
  }

  return writes;
};
