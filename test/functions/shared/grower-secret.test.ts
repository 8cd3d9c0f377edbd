import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { type PermanentReason, ProvisionerError } from '../../../functions/shared/errors';
import {
  type GrowerSecretPolicy,
  readGrowerCredentials,
} from '../../../functions/shared/grower-secret';

const policy: GrowerSecretPolicy = { prefix: 'leaf/cnhi/', apiOwnerSecretId: 'leaf/api-owner' };
const arnPrefix = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:';
const secretId = 'leaf/cnhi/grower-1';

// Values no message may ever quote; every failure below is checked against all of them.
const stored = {
  clientId: 'CANARY-client-id',
  clientSecret: 'CANARY-client-secret',
  subscriptionKey: 'CANARY-subscription-key',
  refreshToken: 'CANARY-refresh-token',
};

const awsError = (name: string): Error =>
  Object.assign(new Error(`${name}: secret ${stored.clientSecret} could not be returned`), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });

/** Everything of a thrown error that could reach a log or the status table. */
const visibleText = (error: unknown): string => {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const details = error instanceof ProvisionerError ? JSON.stringify(error.details) : '';

  return [error.message, error.stack, details, visibleText(error.cause ?? '')].join('\n');
};

const readFailure = async (id = secretId, provider: 'cnhi' | 'cnhi-fieldops' = 'cnhi') => {
  try {
    await readGrowerCredentials(new SecretsManagerClient({}), id, provider, policy);
  } catch (error) {
    return error;
  }
  throw new Error('expected readGrowerCredentials to fail');
};

describe('readGrowerCredentials', () => {
  const secrets = mockClient(SecretsManagerClient);

  beforeEach(() => {
    secrets.reset();
  });

  afterAll(() => {
    secrets.restore();
  });

  it('returns the cnhi credentials when the secret is complete', async () => {
    // GIVEN
    secrets
      .on(GetSecretValueCommand, { SecretId: secretId })
      .resolves({ SecretString: JSON.stringify({ ...stored, clientEnvironment: 'PRODUCTION' }) });

    // WHEN
    const credentials = await readGrowerCredentials(
      new SecretsManagerClient({}),
      secretId,
      'cnhi',
      policy,
    );

    // THEN
    expect(credentials).toEqual({ ...stored, clientEnvironment: 'PRODUCTION' });
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('defaults clientEnvironment to STAGE when a fieldops secret leaves it out', async () => {
    // GIVEN
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(stored) });

    // WHEN
    const credentials = await readGrowerCredentials(
      new SecretsManagerClient({}),
      secretId,
      'cnhi-fieldops',
      policy,
    );

    // THEN
    expect(credentials).toEqual({ ...stored, clientEnvironment: 'STAGE' });
  });

  it('keeps clientEnvironment when a fieldops secret names one', async () => {
    // GIVEN
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ ...stored, clientEnvironment: 'PRODUCTION' }) });

    // WHEN
    const credentials = await readGrowerCredentials(
      new SecretsManagerClient({}),
      secretId,
      'cnhi-fieldops',
      policy,
    );

    // THEN
    expect(credentials.clientEnvironment).toBe('PRODUCTION');
  });

  it('drops fields the secret holds beyond the credentials', async () => {
    // GIVEN
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ ...stored, clientEnvironment: 'STAGE', note: 'CANARY-note' }),
    });

    // WHEN
    const credentials = await readGrowerCredentials(
      new SecretsManagerClient({}),
      secretId,
      'cnhi',
      policy,
    );

    // THEN
    expect(Object.keys(credentials).sort()).toEqual([
      'clientEnvironment',
      'clientId',
      'clientSecret',
      'refreshToken',
      'subscriptionKey',
    ]);
  });

  it('reads the secret by ARN when the ARN lies under the prefix', async () => {
    // GIVEN
    const arn = `${arnPrefix}leaf/cnhi/grower-1-AbCdEf`;
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ ...stored, clientEnvironment: 'STAGE' }) });

    // WHEN
    const credentials = await readGrowerCredentials(
      new SecretsManagerClient({}),
      arn,
      'cnhi',
      policy,
    );

    // THEN
    expect(credentials.clientSecret).toBe(stored.clientSecret);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: arn });
  });

  it.each<{ case: string; id: string; reason: PermanentReason }>([
    {
      case: 'it lies under another prefix',
      id: 'leaf/deere/grower-1',
      reason: 'SECRET_OUTSIDE_PREFIX',
    },
    {
      case: 'it shares only the start of the prefix',
      id: 'leaf/cnhi-other/grower-1',
      reason: 'SECRET_OUTSIDE_PREFIX',
    },
    {
      case: 'it climbs out with ..',
      id: 'leaf/cnhi/../api-owner',
      reason: 'SECRET_OUTSIDE_PREFIX',
    },
    { case: 'it ends in a .. segment', id: 'leaf/cnhi/grower/..', reason: 'SECRET_OUTSIDE_PREFIX' },
    {
      case: 'an ARN climbs out with ..',
      id: `${arnPrefix}leaf/cnhi/../x`,
      reason: 'SECRET_OUTSIDE_PREFIX',
    },
    { case: 'it holds a space', id: 'leaf/cnhi/grower 1', reason: 'SECRET_OUTSIDE_PREFIX' },
    {
      case: 'it is an ARN under another prefix',
      id: `${arnPrefix}other/x`,
      reason: 'SECRET_OUTSIDE_PREFIX',
    },
    { case: 'it names the API-owner secret', id: 'leaf/api-owner', reason: 'SECRET_IS_API_OWNER' },
    {
      case: 'it names the API-owner secret by ARN',
      id: `${arnPrefix}leaf/api-owner`,
      reason: 'SECRET_IS_API_OWNER',
    },
    {
      // Secrets Manager's full ARN adds a random suffix the policy's name lacks; the prefix
      // check still refuses it, since the stack keeps the owner secret outside the prefix.
      case: 'it names the API-owner secret by full ARN',
      id: `${arnPrefix}leaf/api-owner-AbCdEf`,
      reason: 'SECRET_OUTSIDE_PREFIX',
    },
  ])('refuses the secret with $reason when $case', async ({ id, reason }) => {
    // GIVEN
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(stored) });

    // WHEN
    const error = await readFailure(id);

    // THEN
    expect(error).toMatchObject({ reason, retryable: false });
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
  });

  it('refuses the API-owner secret when it lies under the prefix', async () => {
    // GIVEN
    const owner: GrowerSecretPolicy = { prefix: 'leaf/', apiOwnerSecretId: 'leaf/api-owner' };

    // WHEN
    const attempt = readGrowerCredentials(
      new SecretsManagerClient({}),
      'leaf/api-owner',
      'cnhi',
      owner,
    );

    // THEN
    await expect(attempt).rejects.toMatchObject({ reason: 'SECRET_IS_API_OWNER' });
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
  });

  it.each<{ error: string; reason: string; retryable: boolean }>([
    { error: 'ResourceNotFoundException', reason: 'SECRET_NOT_FOUND', retryable: false },
    { error: 'AccessDeniedException', reason: 'SECRET_ACCESS_DENIED', retryable: false },
    { error: 'DecryptionFailure', reason: 'SECRET_ACCESS_DENIED', retryable: false },
    { error: 'InvalidRequestException', reason: 'SECRET_ACCESS_DENIED', retryable: false },
    { error: 'ThrottlingException', reason: 'AWS_UNAVAILABLE', retryable: true },
    { error: 'InternalServiceError', reason: 'AWS_UNAVAILABLE', retryable: true },
  ])(
    'fails with $reason when Secrets Manager throws $error',
    async ({ error, reason, retryable }) => {
      // GIVEN
      secrets.on(GetSecretValueCommand).rejects(awsError(error));

      // WHEN
      const failure = await readFailure();

      // THEN
      expect(failure).toMatchObject({ reason, retryable });
    },
  );

  it('fails with AWS_UNAVAILABLE when the network fails before an answer', async () => {
    // GIVEN
    secrets.on(GetSecretValueCommand).rejects(new TypeError('fetch failed'));

    // WHEN
    const failure = await readFailure();

    // THEN
    expect(failure).toMatchObject({
      reason: 'AWS_UNAVAILABLE',
      retryable: true,
      details: { errorType: 'TypeError' },
    });
  });

  it('fails with SECRET_BINARY when the secret holds binary', async () => {
    // GIVEN
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretBinary: new TextEncoder().encode(JSON.stringify(stored)) });

    // WHEN
    const failure = await readFailure();

    // THEN
    expect(failure).toMatchObject({ reason: 'SECRET_BINARY', retryable: false });
  });

  it('fails with SECRET_NOT_JSON when the secret is not JSON', async () => {
    // GIVEN
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: `clientSecret=${stored.clientSecret}&refreshToken=x` });

    // WHEN
    const failure = await readFailure();

    // THEN
    expect(failure).toMatchObject({ reason: 'SECRET_NOT_JSON', retryable: false });
  });

  it.each<{ case: string; secret: unknown; provider: 'cnhi' | 'cnhi-fieldops'; at: string }>([
    {
      case: 'clientSecret is missing',
      secret: { ...stored, clientSecret: undefined, clientEnvironment: 'STAGE' },
      provider: 'cnhi',
      at: 'clientSecret',
    },
    {
      case: 'refreshToken is empty',
      secret: { ...stored, refreshToken: '', clientEnvironment: 'STAGE' },
      provider: 'cnhi',
      at: 'refreshToken',
    },
    {
      case: 'subscriptionKey is a number',
      secret: { ...stored, subscriptionKey: 1234, clientEnvironment: 'STAGE' },
      provider: 'cnhi',
      at: 'subscriptionKey',
    },
    {
      case: 'clientId is longer than 4096 characters',
      secret: { ...stored, clientId: `CANARY-${'x'.repeat(4096)}`, clientEnvironment: 'STAGE' },
      provider: 'cnhi',
      at: 'clientId',
    },
    {
      case: 'clientEnvironment is DEV',
      secret: { ...stored, clientEnvironment: 'DEV' },
      provider: 'cnhi-fieldops',
      at: 'clientEnvironment',
    },
    {
      case: 'clientEnvironment holds a secret value',
      secret: { ...stored, clientEnvironment: stored.clientSecret },
      provider: 'cnhi',
      at: 'clientEnvironment',
    },
    {
      case: 'a cnhi secret has no clientEnvironment',
      secret: stored,
      provider: 'cnhi',
      at: 'clientEnvironment',
    },
    {
      case: 'the JSON is an array',
      secret: [stored.clientSecret],
      provider: 'cnhi',
      at: '(root)',
    },
  ])('fails with SECRET_INVALID naming $at when $case', async ({ secret, provider, at }) => {
    // GIVEN
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(secret) });

    // WHEN
    const failure = await readFailure(secretId, provider);

    // THEN
    expect(failure).toMatchObject({ reason: 'SECRET_INVALID', retryable: false });
    expect((failure as Error).message).toBe(`grower secret is invalid at: ${at}`);
  });

  it('names every wrong field when several are wrong', async () => {
    // GIVEN
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ clientId: stored.clientId, refreshToken: 7 }) });

    // WHEN
    const failure = await readFailure();

    // THEN
    expect((failure as Error).message).toBe(
      'grower secret is invalid at: clientSecret, subscriptionKey, refreshToken',
    );
  });

  describe('failures', () => {
    const cases: [string, () => void][] = [
      [
        'the secret is missing',
        () => secrets.on(GetSecretValueCommand).rejects(awsError('ResourceNotFoundException')),
      ],
      [
        'access is denied',
        () => secrets.on(GetSecretValueCommand).rejects(awsError('AccessDeniedException')),
      ],
      [
        'Secrets Manager throttles',
        () => secrets.on(GetSecretValueCommand).rejects(awsError('ThrottlingException')),
      ],
      [
        'the secret is binary',
        () =>
          secrets
            .on(GetSecretValueCommand)
            .resolves({ SecretBinary: new TextEncoder().encode(stored.clientSecret) }),
      ],
      [
        'the secret is not JSON',
        () =>
          secrets.on(GetSecretValueCommand).resolves({ SecretString: `{${stored.clientSecret}` }),
      ],
      [
        'a field is invalid',
        () =>
          secrets.on(GetSecretValueCommand).resolves({
            SecretString: JSON.stringify({ ...stored, clientEnvironment: stored.refreshToken }),
          }),
      ],
      [
        'a field is missing',
        () =>
          secrets.on(GetSecretValueCommand).resolves({
            SecretString: JSON.stringify({ ...stored, subscriptionKey: undefined }),
          }),
      ],
    ];

    it.each(cases)('quotes no secret value when %s', async (_case, arrange) => {
      // GIVEN
      arrange();

      // WHEN
      const failure = await readFailure();

      // THEN
      expect(failure).toBeInstanceOf(ProvisionerError);
      expect(visibleText(failure)).not.toContain('CANARY');
    });
  });
});
