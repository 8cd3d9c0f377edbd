import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  createLocalResources,
  destroyLocalResources,
  type LocalResources,
} from '../../local/aws-resources';
import { uniquePrefix } from '../helpers/aws-env';
import { peekQueue } from '../helpers/aws-inspection';
import { makeWorkDir, queueDepth, removeWorkDir, runCli, writeConfig } from './cli-harness';

describe('leaf-cnhi enqueue', () => {
  let dir: string;
  let resources: LocalResources;
  let config: string;

  beforeAll(async () => {
    dir = await makeWorkDir();
  });

  afterAll(async () => {
    await removeWorkDir(dir);
  });

  beforeEach(async () => {
    resources = await createLocalResources({
      namePrefix: uniquePrefix('cli-enqueue'),
      apiOwner: { username: 'owner', password: 'unused' },
    });
    config = await writeConfig(dir, resources);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await destroyLocalResources(resources);
  });

  const writeBulkFile = async (name: string, lines: string[]) => {
    const path = join(dir, `${randomUUID()}-${name}`);
    await writeFile(path, `${lines.join('\n')}\n`);

    return path;
  };

  it('reports every bad row by line number and sends nothing when a file has bad rows', async () => {
    // GIVEN
    const file = await writeBulkFile('growers.csv', [
      'leafUserId,secretId,provider',
      `${randomUUID()},leaf/cnhi/grower-1,cnhi`,
      'not-a-uuid,leaf/cnhi/grower-2,cnhi',
      `${randomUUID()},leaf/cnhi/grower-3,john-deere`,
      `${randomUUID()},leaf/cnhi/grower-4,cnhi-fieldops`,
      `${randomUUID()},,cnhi`,
    ]);

    // WHEN
    const result = await runCli(['enqueue', 'provision', '--file', file, '--config', config]);

    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('line 3: leafUserId must be a UUID (INVALID_LEAF_USER_ID)');
    expect(result.stdout).toContain('line 4: provider must be cnhi or cnhi-fieldops');
    expect(result.stdout).toContain('line 6: secretId is required');
    expect(result.stdout).not.toMatch(/line [25]:/);
    expect(result.stderr).toContain('nothing sent: 3 line(s) have problems');
    expect(await queueDepth(resources.provisioningQueueUrl)).toBe(0);
  });

  it('refuses a file with a credential column and sends nothing', async () => {
    // GIVEN
    const file = await writeBulkFile('growers.csv', [
      'leafUserId,secretId,client_secret',
      `${randomUUID()},leaf/cnhi/grower-1,do-not-queue-me`,
    ]);

    // WHEN
    const result = await runCli(['enqueue', 'provision', '--file', file, '--config', config]);

    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('line 1: column client_secret holds a credential');
    expect(result.stdout).not.toContain('do-not-queue-me');
    expect(await queueDepth(resources.provisioningQueueUrl)).toBe(0);
  });

  it('refuses a JSON Lines row that hides credentials in a nested object', async () => {
    // GIVEN
    const file = await writeBulkFile('growers.jsonl', [
      JSON.stringify({ leafUserId: randomUUID(), secretId: 'leaf/cnhi/grower-1' }),
      JSON.stringify({
        leafUserId: randomUUID(),
        secretId: 'leaf/cnhi/grower-2',
        extra: { refreshToken: 'do-not-queue-me' },
      }),
    ]);

    // WHEN
    const result = await runCli(['enqueue', 'provision', '--file', file, '--config', config]);

    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('line 2: message carries credential fields');
    expect(result.stdout).toContain('(INLINE_CREDENTIALS)');
    expect(result.stdout).not.toContain('do-not-queue-me');
    expect(await queueDepth(resources.provisioningQueueUrl)).toBe(0);
  });

  it('sends a valid file to both queues in batches of 10 and ends with a summary', async () => {
    // GIVEN
    const provisions = Array.from({ length: 23 }, (_, i) => ({
      operation: 'provision',
      leafUserId: randomUUID(),
      secretId: `leaf/cnhi/grower-${i}`,
      correlationId: `onboarding-${i}`,
    }));
    const deprovisions = Array.from({ length: 4 }, () => ({
      operation: 'deprovision',
      leafUserId: randomUUID(),
      provider: 'cnhi-fieldops',
    }));
    const file = await writeBulkFile(
      'growers.jsonl',
      [...provisions, ...deprovisions].map((row) => JSON.stringify(row)),
    );
    const send = jest.spyOn(SQSClient.prototype, 'send');

    // WHEN
    const result = await runCli(['enqueue', '--file', file, '--config', config]);

    // THEN
    expect(result.code).toBe(0);
    const batchSizes = send.mock.calls
      .map(([command]) => command)
      .filter((command) => command instanceof SendMessageBatchCommand)
      .map((command) => (command as SendMessageBatchCommand).input.Entries?.length);
    expect(batchSizes).toEqual([10, 10, 3, 4]);
    expect(result.stdout).toContain(
      'sent 27 of 27 request(s) in 4 batch(es): 23 to the provisioning queue, 4 to the deprovisioning queue',
    );
    expect(result.stderr).toContain('sending: 27/27 (100%)');
    const queued = (await peekQueue(resources.provisioningQueueUrl)).map((m) => JSON.parse(m.body));
    expect(queued).toHaveLength(23);
    expect(queued).toEqual(
      expect.arrayContaining(provisions.map(({ operation: _op, ...body }) => body)),
    );
    expect(await queueDepth(resources.deprovisioningQueueUrl)).toBe(4);
  });

  it('sends one request built from flags and prints its message id', async () => {
    // GIVEN
    const leafUserId = randomUUID();

    // WHEN
    const result = await runCli([
      'enqueue',
      'provision',
      '--user',
      leafUserId,
      '--secret',
      'leaf/cnhi/grower-9',
      '--provider',
      'cnhi-fieldops',
      '--correlation-id',
      'ticket-77',
      '--config',
      config,
    ]);

    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`queued provision for ${leafUserId} \\(cnhi-fieldops\\): message \\S+`),
    );
    const [message] = await peekQueue(resources.provisioningQueueUrl);
    expect(JSON.parse(message?.body ?? '')).toEqual({
      leafUserId,
      secretId: 'leaf/cnhi/grower-9',
      provider: 'cnhi-fieldops',
      correlationId: 'ticket-77',
    });
  });

  it('exits 2 and names the flag when a flag value breaks the contract', async () => {
    // GIVEN
    const args = ['enqueue', 'deprovision', '--user', randomUUID(), '--requested-at', 'yesterday'];

    // WHEN
    const result = await runCli([...args, '--config', config]);

    // THEN
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--requested-at: requestedAt must be ISO 8601 with a zone');
    expect(await queueDepth(resources.deprovisioningQueueUrl)).toBe(0);
  });

  it('checks a file without reaching AWS when --dry-run is given', async () => {
    // GIVEN
    const file = await writeBulkFile('growers.csv', [
      'leafUserId,operation',
      `${randomUUID()},deprovision`,
      `${randomUUID()},deprovision`,
    ]);

    // WHEN
    const result = await runCli([
      'enqueue',
      '--file',
      file,
      '--dry-run',
      '--config',
      '/nowhere.json',
    ]);

    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('all 2 request(s) are valid; nothing sent (--dry-run)');
  });
});
