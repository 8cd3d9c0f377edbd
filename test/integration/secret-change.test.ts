import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createSecretChangedHandler } from '../../functions/shared/secret-change';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { rotationSucceeded, secretsManagerCall } from '../fixtures/secret-change-events';
import { canaryCredentials } from '../helpers/grower-secrets';

/**
 * The secret-change trigger against real moto secrets: events shaped as CloudTrail delivers them
 * through EventBridge, secrets created in moto, and the provisioning flow of the local run.
 */
describe('secret-changed handler', () => {
  const sqs = new SQSClient({});
  let env: LocalEnvironment;
  let inspectedQueueUrl: string;

  beforeAll(async () => {
    env = await startLocalEnvironment({ maxAttempts: 2, visibilityTimeoutSeconds: 1 });
    const queue = await sqs.send(
      new CreateQueueCommand({ QueueName: `${env.resources.tableName}-secret-changes` }),
    );
    inspectedQueueUrl = queue.QueueUrl ?? '';
  });

  afterAll(async () => {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: inspectedQueueUrl }));
    sqs.destroy();
    await env?.close();
  });

  const prefix = () => env.resources.growerSecretPrefix;
  const enqueuingTo = (queueUrl: string) =>
    createSecretChangedHandler({ provisioningQueueUrl: queueUrl, growerSecretPrefix: prefix() });
  const queued = async () => {
    const answer = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: inspectedQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 0,
      }),
    );

    return (answer.Messages ?? []).map((message) => JSON.parse(message.Body ?? '{}'));
  };

  it('enqueues a provisioning request dated by the event when a grower secret gets a new value', async () => {
    // GIVEN
    const leafUserId = randomUUID();
    const name = `${prefix()}cnhi-fieldops/${leafUserId}`;
    await env.putGrowerSecret(`cnhi-fieldops/${leafUserId}`, canaryCredentials());
    const event = secretsManagerCall(
      'PutSecretValue',
      { secretId: name, clientRequestToken: randomUUID() },
      {
        responseElements: {
          arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbC123`,
          versionId: randomUUID(),
        },
      },
    );

    // WHEN
    const result = await enqueuingTo(inspectedQueueUrl)(event);

    // THEN
    expect(result).toMatchObject({ enqueued: true, leafUserId, provider: 'cnhi-fieldops' });
    expect(await queued()).toContainEqual({
      leafUserId,
      provider: 'cnhi-fieldops',
      secretId: name,
      requestedAt: new Date(event.time).toISOString(),
      correlationId: event.id,
    });
  });

  it('re-provisions Leaf with the rotated value when a rotation succeeds', async () => {
    // GIVEN
    const leafUserId = randomUUID();
    env.sandbox.addUser(leafUserId);
    const first = canaryCredentials('PRODUCTION');
    const secretArn = await env.putGrowerSecret(`cnhi/${leafUserId}`, first);
    await env.enqueueProvision({
      leafUserId,
      secretId: secretArn,
      requestedAt: new Date(Date.now() - 60_000).toISOString(),
    });
    await env.drain();
    const rotated = canaryCredentials('PRODUCTION');
    await env.putGrowerSecret(`cnhi/${leafUserId}`, rotated);
    const event = rotationSucceeded(secretArn);

    // WHEN
    await enqueuingTo(env.resources.provisioningQueueUrl)(event);
    await env.drain();

    // THEN
    expect(env.sandbox.credentials(leafUserId)?.refreshToken).toBe(rotated.refreshToken);
    expect(await env.runtime.store.get(leafUserId, 'cnhi')).toMatchObject({
      state: 'PROVISIONED',
      action: 'REPLACED',
      correlationId: event.id,
      requestedAt: new Date(event.time).toISOString(),
    });
  });

  it.each([
    [
      'SECRET_NAME_UNMAPPED',
      'a secret under the prefix is not named <provider>/<leafUserId>',
      () => secretsManagerCall('PutSecretValue', { secretId: `${prefix()}growers/bob` }),
    ],
    [
      'SECRET_OUTSIDE_PREFIX',
      'the secret lies outside the prefix',
      () => secretsManagerCall('PutSecretValue', { secretId: `other/cnhi/${randomUUID()}` }),
    ],
    [
      'CALL_FAILED',
      'the call failed',
      () =>
        secretsManagerCall(
          'PutSecretValue',
          { secretId: `${prefix()}cnhi/${randomUUID()}` },
          { errorCode: 'AccessDenied' },
        ),
    ],
    [
      'NOT_CURRENT_VERSION',
      'a rotation stages a pending value',
      () =>
        secretsManagerCall('PutSecretValue', {
          secretId: `${prefix()}cnhi/${randomUUID()}`,
          versionStages: ['AWSPENDING'],
        }),
    ],
    [
      'NO_NEW_VALUE',
      'an update changes only the description',
      () =>
        secretsManagerCall(
          'UpdateSecret',
          { secretId: `${prefix()}cnhi/${randomUUID()}`, description: 'renamed' },
          { responseElements: { arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x' } },
        ),
    ],
    [
      'EVENT_UNRECOGNISED',
      'the event is another call',
      () => secretsManagerCall('TagResource', { secretId: `${prefix()}cnhi/${randomUUID()}` }),
    ],
  ])('skips the event with %s when %s', async (reason, _case, event) => {
    // GIVEN
    await env.putGrowerSecret('growers/bob', canaryCredentials());
    const before = (await queued()).length;

    // WHEN
    const result = await enqueuingTo(inspectedQueueUrl)(event());

    // THEN
    expect(result).toMatchObject({ enqueued: false, reason, message: expect.any(String) });
    expect(await queued()).toHaveLength(before);
  });

  it('throws a retryable error when the provisioning queue cannot be reached', async () => {
    // GIVEN
    const event = secretsManagerCall('UpdateSecret', {
      secretId: `${prefix()}cnhi/${randomUUID()}`,
    });
    const missingQueue = `${inspectedQueueUrl}-missing`;

    // WHEN
    const handling = enqueuingTo(missingQueue)(event);

    // THEN
    await expect(handling).rejects.toMatchObject({ reason: 'AWS_UNAVAILABLE', retryable: true });
  });
});
