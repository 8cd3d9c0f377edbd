import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Provider } from '../../functions/shared/providers';
import type { CredentialRequest } from '../../functions/shared/requests';
import { type Outcome, StatusStore } from '../../functions/shared/status-store';
import {
  createLocalResources,
  destroyLocalResources,
  type LocalResources,
} from '../../local/aws-resources';
import { uniquePrefix } from '../helpers/aws-env';
import { makeWorkDir, removeWorkDir, runCli, writeConfig } from './cli-harness';

describe('leaf-cnhi status', () => {
  const base = new DynamoDBClient({});
  const dynamo = DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const alice = randomUUID();
  const bob = randomUUID();
  const carol = randomUUID();
  let dir: string;
  let resources: LocalResources;
  let config: string;

  const request = (leafUserId: string, provider: Provider): CredentialRequest => ({
    operation: 'PROVISION',
    messageId: randomUUID(),
    leafUserId,
    provider,
    requestedAt: new Date().toISOString(),
    receiveCount: 1,
    secretId: `leaf/cnhi/${leafUserId}`,
  });

  // Records written as the functions write them: a lease, then an outcome or a retry note.
  beforeAll(async () => {
    dir = await makeWorkDir();
    resources = await createLocalResources({
      namePrefix: uniquePrefix('cli-status'),
      apiOwner: { username: 'owner', password: 'unused' },
    });
    config = await writeConfig(dir, resources);
    const store = new StatusStore(dynamo, resources.tableName);
    const finish = async (leafUserId: string, provider: Provider, outcome: Outcome) => {
      const req = request(leafUserId, provider);
      await store.claim(req, 60_000);
      await store.complete(req, outcome);
    };
    await finish(alice, 'cnhi', { state: 'PROVISIONED', action: 'CREATED', leafStatus: 'OK' });
    await finish(alice, 'cnhi-fieldops', {
      state: 'FAILED',
      reasonCode: 'LEAF_USER_NOT_FOUND',
      reasonMessage: 'Leaf answered 404 to POST cnhi-field-ops-credentials (userNotFound)',
    });
    await finish(bob, 'cnhi', { state: 'REMOVED', action: 'REMOVED' });
    const retrying = request(carol, 'cnhi-fieldops');
    await store.claim(retrying, 60_000);
    await store.recordRetry(retrying, 'LEAF_SERVER_ERROR', 'Leaf answered 503');
  });

  afterAll(async () => {
    await destroyLocalResources(resources);
    await removeWorkDir(dir);
    base.destroy();
  });

  it('lists every current record, and no history item, when no filter is given', async () => {
    // GIVEN
    const args = ['status', '--config', config, '--json'];

    // WHEN
    const result = await runCli(args);

    // THEN
    const records = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(records.map((r) => `${r.leafUserId} ${r.provider} ${r.state}`).sort()).toEqual(
      [
        `${alice} cnhi PROVISIONED`,
        `${alice} cnhi-fieldops FAILED`,
        `${bob} cnhi REMOVED`,
        `${carol} cnhi-fieldops RETRYING`,
      ].sort(),
    );
    expect(records.every((r) => r.pk === undefined && r.sk === undefined)).toBe(true);
    expect(result.code).toBe(1);
  });

  it('shows only the FAILED records and exits 1 when --state FAILED is given', async () => {
    // GIVEN
    const args = ['status', '--state', 'FAILED', '--config', config];

    // WHEN
    const result = await runCli(args);

    // THEN
    expect(result.code).toBe(1);
    const rows = result.stdout.split('\n').filter((line) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(line));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(new RegExp(`${alice}\\s+cnhi-fieldops\\s+FAILED\\s+PROVISION`));
    expect(rows[0]).toContain('LEAF_USER_NOT_FOUND');
  });

  it("shows one user's records for every provider, with the reasons, when --user is given", async () => {
    // GIVEN
    const args = ['status', '--user', alice.toUpperCase(), '--config', config];

    // WHEN
    const result = await runCli(args);

    // THEN
    expect(result.stdout).toMatch(new RegExp(`${alice}\\s+cnhi\\s+PROVISIONED`));
    expect(result.stdout).toMatch(new RegExp(`${alice}\\s+cnhi-fieldops\\s+FAILED`));
    expect(result.stdout).not.toContain(bob);
    expect(result.stdout).toContain(
      'cnhi-fieldops: LEAF_USER_NOT_FOUND: Leaf answered 404 to POST cnhi-field-ops-credentials',
    );
  });

  it('combines --provider and --state and exits 0 when none of the records failed', async () => {
    // GIVEN
    const args = ['status', '--provider', 'cnhi-fieldops', '--state', 'retrying,pending'];

    // WHEN
    const result = await runCli([...args, '--config', config, '--json']);

    // THEN
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({
        leafUserId: carol,
        state: 'RETRYING',
        reasonCode: 'LEAF_SERVER_ERROR',
      }),
    ]);
  });

  it('says so and exits 0 when no record matches', async () => {
    // GIVEN
    const args = ['status', '--user', randomUUID(), '--config', config];

    // WHEN
    const result = await runCli(args);

    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('no status records match');
  });

  it('exits 2 and lists the states when --state names none', async () => {
    // GIVEN
    const args = ['status', '--state', 'BROKEN', '--config', config];

    // WHEN
    const result = await runCli(args);

    // THEN
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--state must be among PENDING, RETRYING, PROVISIONED');
  });
});
