import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sendToDeadLetterQueue } from '../../functions/shared/dead-letter';
import { PermanentError, TransientError } from '../../functions/shared/errors';
import {
  createLocalResources,
  destroyLocalResources,
  type LocalResources,
} from '../../local/aws-resources';
import { sqsRecord } from '../fixtures/sqs-record';
import { uniquePrefix } from '../helpers/aws-env';
import { makeWorkDir, queueDepth, removeWorkDir, runCli, writeConfig } from './cli-harness';

describe('leaf-cnhi dlq list', () => {
  const sqs = new SQSClient({});
  let dir: string;
  let resources: LocalResources;
  let config: string;

  beforeAll(async () => {
    dir = await makeWorkDir();
  });

  afterAll(async () => {
    await removeWorkDir(dir);
    sqs.destroy();
  });

  beforeEach(async () => {
    resources = await createLocalResources({
      namePrefix: uniquePrefix('cli-dlq'),
      apiOwner: { username: 'owner', password: 'unused' },
    });
    config = await writeConfig(dir, resources);
  });

  afterEach(async () => {
    await destroyLocalResources(resources);
  });

  // Dead letters as the functions write them, plus one the redrive policy moved on its own.
  const deadLetterThree = async () => {
    const notFound = randomUUID();
    const retriedOut = randomUUID();
    await sendToDeadLetterQueue(
      sqs,
      resources.provisioningDlqUrl,
      sqsRecord({
        leafUserId: notFound,
        secretId: 'leaf/cnhi/grower-7',
        note: 'CANARY-free-text-a-producer-added',
      }),
      new PermanentError('LEAF_USER_NOT_FOUND', 'Leaf answered 404 to POST cnhi-credentials'),
    );
    await sendToDeadLetterQueue(
      sqs,
      resources.provisioningDlqUrl,
      sqsRecord({ leafUserId: randomUUID(), clientSecret: 'CANARY-secret-on-a-queue' }),
      new PermanentError('INLINE_CREDENTIALS', 'message carries credential fields'),
    );
    await sendToDeadLetterQueue(
      sqs,
      resources.deprovisioningDlqUrl,
      sqsRecord(
        { leafUserId: retriedOut, provider: 'cnhi-fieldops' },
        { attributes: { ApproximateReceiveCount: '5' } },
      ),
      new TransientError('LEAF_SERVER_ERROR', 'Leaf answered 503 to DELETE'),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: resources.deprovisioningDlqUrl,
        MessageBody: JSON.stringify({ leafUserId: randomUUID(), comment: 'CANARY-crashed' }),
      }),
    );

    return { notFound, retriedOut };
  };

  it('shows each dead letter with its reason and no part of a body but the named fields', async () => {
    // GIVEN
    const { notFound, retriedOut } = await deadLetterThree();

    // WHEN
    const result = await runCli(['dlq', 'list', '--config', config]);

    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('provisioning dead-letter queue: 2 message(s)');
    expect(result.stdout).toMatch(
      new RegExp(`${notFound}\\s+cnhi\\s+LEAF_USER_NOT_FOUND\\s+1\\s+leaf/cnhi/grower-7`),
    );
    expect(result.stdout).toMatch(/INLINE_CREDENTIALS\s+1\s+\(body withheld: INLINE_CREDENTIALS\)/);
    expect(result.stdout).toMatch(
      new RegExp(`${retriedOut}\\s+cnhi-fieldops\\s+LEAF_SERVER_ERROR\\s+5`),
    );
    expect(result.stdout).toContain('LEAF_USER_NOT_FOUND ×1: Leaf answered 404 to POST');
    expect(result.stdout).toContain(
      '(no reason code) ×1: moved by the redrive policy: the function crashed or timed out',
    );
    expect(result.stdout).not.toContain('CANARY');
  });

  it('leaves every message on its queue and visible after a look', async () => {
    // GIVEN
    await deadLetterThree();

    // WHEN
    await runCli(['dlq', 'list', '--config', config, '--json']);

    // THEN
    expect(await queueDepth(resources.provisioningDlqUrl)).toBe(2);
    const second = await runCli([
      'dlq',
      'list',
      '--queue',
      'provisioning',
      '--config',
      config,
      '--json',
    ]);
    const [queue] = JSON.parse(second.stdout).queues;
    expect(queue.messages).toHaveLength(2);
  });

  it('counts messages someone else has received as waiting, not as an empty queue', async () => {
    // GIVEN every dead letter taken by another reader, as a redrive under way would
    await deadLetterThree();
    await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: resources.provisioningDlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
      }),
    );

    // WHEN
    const result = await runCli(['dlq', 'list', '--queue', 'provisioning', '--config', config]);

    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('0 message(s), 2 more in flight');
  });

  it('exits 0 when the dead-letter queues are empty', async () => {
    // GIVEN
    const args = ['dlq', 'list', '--config', config];

    // WHEN
    const result = await runCli(args);

    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('provisioning dead-letter queue: 0 message(s)');
    expect(result.stdout).toContain('deprovisioning dead-letter queue: 0 message(s)');
  });
});
