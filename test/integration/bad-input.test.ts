import { randomUUID } from 'node:crypto';
import { createProvisionHandler } from '../../functions/shared/provisioning';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { lambdaContext, sqsEvent, sqsRecord } from '../fixtures/sqs-record';
import { peekQueue, scanTable } from '../helpers/aws-inspection';
import { canaryCredentials, canaryMarker } from '../helpers/grower-secrets';

type Row = {
  readonly input: string;
  /** The message body, built once the environment (prefix, users, secrets) exists. */
  readonly body: (ctx: RowContext) => string | object;
  readonly reason: string;
};

interface RowContext {
  readonly user: string;
  readonly secret: (suffix: string) => string;
  readonly apiOwnerSecretId: string;
}

const tooLarge = 'x'.repeat(256 * 1024 + 1);

/**
 * The bad-input catalogue, end to end: every row goes through the real provision handler in ONE
 * batch with a good request, against moto and the Leaf sandbox. Each bad row must end with its
 * reason code in the dead-letter queue, never be retried, and leave the good row unharmed.
 */
const catalogue: Row[] = [
  { input: 'a body that is not JSON', body: () => 'leafUserId=1', reason: 'MESSAGE_NOT_JSON' },
  { input: 'an empty body', body: () => '', reason: 'MESSAGE_NOT_JSON' },
  { input: 'a JSON array', body: () => '[]', reason: 'MESSAGE_INVALID' },
  { input: 'a JSON number', body: () => '42', reason: 'MESSAGE_INVALID' },
  { input: 'a JSON string', body: () => '"hello"', reason: 'MESSAGE_INVALID' },
  {
    input: 'no leafUserId',
    body: (c) => ({ secretId: c.secret('ok') }),
    reason: 'MESSAGE_INVALID',
  },
  {
    input: 'a numeric leafUserId',
    body: (c) => ({ leafUserId: 7, secretId: c.secret('ok') }),
    reason: 'MESSAGE_INVALID',
  },
  { input: 'no secretId', body: (c) => ({ leafUserId: c.user }), reason: 'MESSAGE_INVALID' },
  {
    input: 'an unknown provider',
    body: (c) => ({ leafUserId: c.user, secretId: c.secret('ok'), provider: 'deere' }),
    reason: 'UNKNOWN_PROVIDER',
  },
  {
    input: 'a requestedAt that is no date',
    body: (c) => ({ leafUserId: c.user, secretId: c.secret('ok'), requestedAt: 'yesterday' }),
    reason: 'INVALID_REQUESTED_AT',
  },
  {
    input: 'a requestedAt far in the future',
    body: (c) => ({
      leafUserId: c.user,
      secretId: c.secret('ok'),
      requestedAt: '2999-01-01T00:00:00Z',
    }),
    reason: 'INVALID_REQUESTED_AT',
  },
  {
    input: 'a leafUserId that is no UUID',
    body: (c) => ({ leafUserId: 'grower-1', secretId: c.secret('ok') }),
    reason: 'INVALID_LEAF_USER_ID',
  },
  {
    input: 'a leafUserId with ../',
    body: (c) => ({ leafUserId: `${c.user}/../x`, secretId: c.secret('ok') }),
    reason: 'INVALID_LEAF_USER_ID',
  },
  {
    input: 'a leafUserId with %2F',
    body: (c) => ({ leafUserId: `${c.user}%2Fx`, secretId: c.secret('ok') }),
    reason: 'INVALID_LEAF_USER_ID',
  },
  {
    input: 'a leafUserId with ?',
    body: (c) => ({ leafUserId: `${c.user}?admin=1`, secretId: c.secret('ok') }),
    reason: 'INVALID_LEAF_USER_ID',
  },
  {
    input: 'a leafUserId with spaces',
    body: (c) => ({ leafUserId: ` ${c.user} `, secretId: c.secret('ok') }),
    reason: 'INVALID_LEAF_USER_ID',
  },
  {
    input: 'a leafUserId with unicode',
    body: (c) => ({ leafUserId: `${c.user.slice(0, -1)}é`, secretId: c.secret('ok') }),
    reason: 'INVALID_LEAF_USER_ID',
  },
  {
    input: 'a secret outside the prefix',
    body: (c) => ({ leafUserId: c.user, secretId: 'prod/db-password' }),
    reason: 'SECRET_OUTSIDE_PREFIX',
  },
  {
    input: 'a secret value where its name belongs',
    body: (c) => ({
      leafUserId: c.user,
      secretId: JSON.stringify({ clientSecret: `${canaryMarker}-pasted` }),
    }),
    reason: 'SECRET_OUTSIDE_PREFIX',
  },
  {
    input: 'the API-owner secret',
    body: (c) => ({ leafUserId: c.user, secretId: c.apiOwnerSecretId }),
    reason: 'SECRET_IS_API_OWNER',
  },
  {
    input: 'credentials inline',
    body: (c) => ({
      leafUserId: c.user,
      secretId: c.secret('ok'),
      clientSecret: `${canaryMarker}-inline`,
    }),
    reason: 'INLINE_CREDENTIALS',
  },
  {
    input: 'a body over 256 KB',
    body: (c) => ({ leafUserId: c.user, secretId: c.secret('ok'), padding: tooLarge }),
    reason: 'MESSAGE_TOO_LARGE',
  },
  {
    input: 'a secret that does not exist',
    body: (c) => ({ leafUserId: c.user, secretId: c.secret('missing') }),
    reason: 'SECRET_NOT_FOUND',
  },
  {
    input: 'a secret that is not JSON',
    body: (c) => ({ leafUserId: c.user, secretId: c.secret('not-json') }),
    reason: 'SECRET_NOT_JSON',
  },
  {
    input: 'a binary secret',
    body: (c) => ({ leafUserId: c.user, secretId: c.secret('binary') }),
    reason: 'SECRET_BINARY',
  },
  {
    input: 'a secret missing a field',
    body: (c) => ({ leafUserId: c.user, secretId: c.secret('no-refresh') }),
    reason: 'SECRET_INVALID',
  },
  {
    input: 'a secret with clientEnvironment DEV',
    body: (c) => ({ leafUserId: c.user, secretId: c.secret('dev-env') }),
    reason: 'SECRET_INVALID',
  },
  {
    input: 'a Leaf user Leaf does not know',
    body: (c) => ({ leafUserId: randomUUID(), secretId: c.secret('ok') }),
    reason: 'LEAF_USER_NOT_FOUND',
  },
];

describe('provision handler with bad input', () => {
  let env: LocalEnvironment;

  beforeAll(async () => {
    env = await startLocalEnvironment();
  });

  afterAll(async () => {
    await env?.close();
  });

  it('ends each bad record with its reason code and leaves the good one unharmed', async () => {
    // GIVEN one batch: a good request first, then every row of the catalogue, each for its own user
    const valid = canaryCredentials('PRODUCTION');
    const secret = (suffix: string) => `${env.resources.growerSecretPrefix}${suffix}`;
    await env.putGrowerSecret('ok', valid);
    await env.putGrowerSecret('not-json', `${canaryMarker} not json`);
    await env.putGrowerSecret('binary', new TextEncoder().encode(canaryMarker));
    await env.putGrowerSecret('no-refresh', { ...valid, refreshToken: undefined });
    await env.putGrowerSecret('dev-env', { ...valid, clientEnvironment: 'DEV' });
    const goodUser = randomUUID();
    env.sandbox.addUser(goodUser);
    const good = sqsRecord({ leafUserId: goodUser, secretId: secret('ok') });
    const rows = catalogue.map((row) => {
      const user = randomUUID();
      env.sandbox.addUser(user);
      const body = row.body({ user, secret, apiOwnerSecretId: env.resources.apiOwnerSecretId });

      return { row, record: sqsRecord(body) };
    });
    const handler = createProvisionHandler(env.provisionConfig);

    // WHEN
    const answer = await handler(
      sqsEvent([good, ...rows.map(({ record }) => record)]),
      lambdaContext(),
    );

    // THEN nothing is left for retry, the good request went through, and each bad one is
    // dead-lettered with its own reason
    expect(answer.batchItemFailures).toEqual([]);
    expect(env.sandbox.credentials(goodUser)?.refreshToken).toBe(valid.refreshToken);
    const dead = await peekQueue(env.resources.provisioningDlqUrl, 30);
    const reasonOf = new Map(
      dead.map((m) => [m.attributes.originalMessageId, m.attributes.reasonCode]),
    );
    const outcomes = rows.map(({ row, record }) => ({
      input: row.input,
      reason: reasonOf.get(record.messageId),
    }));
    expect(outcomes).toEqual(catalogue.map((row) => ({ input: row.input, reason: row.reason })));
    expect(JSON.stringify(dead)).not.toContain(canaryMarker);
    expect(JSON.stringify(await scanTable(env.resources.tableName))).not.toContain(canaryMarker);
  });
});
