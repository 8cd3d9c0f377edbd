import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { apiOwnerReader } from '../../../functions/shared/api-owner';
import { failureOf } from '../../helpers/failure-of';

const secretId = 'leaf/api-owner';
const owner = { username: 'owner@example.test', password: 'CANARY-owner-password' };

describe('apiOwnerReader', () => {
  const secrets = mockClient(SecretsManagerClient);

  beforeEach(() => {
    secrets.reset();
  });

  it('keeps a valid account between reads', async () => {
    // GIVEN
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(owner) });
    const read = apiOwnerReader(new SecretsManagerClient({}), secretId);

    // WHEN
    await read({ fresh: false });
    const again = await read({ fresh: false });

    // THEN
    expect(again).toEqual(owner);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reads the secret again after a value that did not parse, so a fix applies at once', async () => {
    // GIVEN a secret that is not JSON, then fixed
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: `${owner.password} not json {` })
      .resolves({ SecretString: JSON.stringify(owner) });
    const read = apiOwnerReader(new SecretsManagerClient({}), secretId);

    // WHEN
    const failure = await failureOf(read({ fresh: false }));
    const afterFix = await read({ fresh: false });

    // THEN the failure names no part of the value, and the fix is read on the next request
    expect(failure.reason).toBe('API_OWNER_SECRET_INVALID');
    expect(failure.message).not.toContain(owner.password);
    expect(afterFix).toEqual(owner);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });
});
