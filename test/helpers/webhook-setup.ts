import { randomBytes, randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalEnvironment } from '../../local/local-environment';
import { canaryCredentials } from './grower-secrets';

/** A key as an operator would make one (`openssl rand -base64 32`). */
export const newWebhookKey = (): string => randomBytes(32).toString('base64');

/** Stores a webhook key in the emulator's Secrets Manager; returns the secret's ARN. */
export const putWebhookSecret = async (name: string, key: string): Promise<string> => {
  const client = new SecretsManagerClient({});
  try {
    const created = await client.send(new CreateSecretCommand({ Name: name, SecretString: key }));

    return created.ARN ?? name;
  } finally {
    client.destroy();
  }
};

export const deleteSecret = async (secretId: string): Promise<void> => {
  const client = new SecretsManagerClient({});
  try {
    await client.send(
      new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }),
    );
  } finally {
    client.destroy();
  }
};

/** Growers provisioned through the real queue and handler, so their records are the product's. */
export const provisionGrowers = async (
  env: LocalEnvironment,
  count: number,
): Promise<{ leafUserId: string; credentialId: string }[]> => {
  const growers = await Promise.all(
    Array.from({ length: count }, async () => {
      const leafUserId = randomUUID();
      env.sandbox.addUser(leafUserId);
      const secretId = await env.putGrowerSecret(`cnhi/${leafUserId}`, canaryCredentials());
      await env.enqueueProvision({ leafUserId, secretId });

      return leafUserId;
    }),
  );
  await env.drain();

  return growers.map((leafUserId) => {
    const credentialId = env.sandbox.credentials(leafUserId, 'cnhi')?.id;
    if (!credentialId) {
      throw new Error(`grower ${leafUserId} was not provisioned`);
    }

    return { leafUserId, credentialId };
  });
};
