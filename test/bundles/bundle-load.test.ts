import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { envNames } from '../../functions/shared/env-names';
import {
  createLocalResources,
  createOutcomeBus,
  destroyLocalResources,
  destroyOutcomeBus,
  type LocalOutcomeBus,
  type LocalResources,
  putGrowerSecret,
} from '../../local/aws-resources';
import { type LeafSandbox, startLeafSandbox } from '../../local/leaf-sandbox/server';
import { type BuiltBundle, buildBundles, functionEntries } from '../../scripts/build-bundles';
import { sqsEvent, sqsRecord } from '../fixtures/sqs-record';
import { localAwsEndpoint, uniquePrefix } from '../helpers/aws-env';
import { canaryCredentials } from '../helpers/grower-secrets';

const run = promisify(execFile);
const repoRoot = resolve(__dirname, '../..');

type Variant = 'bundled' | 'external';
const variants: readonly Variant[] = ['bundled', 'external'];

// What the Lambda Node.js runtime does, in a fresh process: import the bundle, call `handler` once
// with the event, and print the result as the last line.
const invoker = `
const { handler } = await import(process.env.BUNDLE_URL);
const deadline = Date.now() + 30_000;
const context = {
  functionName: 'bundle-load-test',
  awsRequestId: 'bundle-load-test',
  getRemainingTimeInMillis: () => deadline - Date.now(),
};
const result = await handler(JSON.parse(process.env.BUNDLE_EVENT), context);
process.stdout.write(JSON.stringify(result ?? null) + '\\n', () => process.exit(0));
`;

describe('function bundles', () => {
  let workDir: string;
  let sandbox: LeafSandbox;
  let resources: LocalResources;
  let outcomeBus: LocalOutcomeBus;
  const bundles = new Map<string, BuiltBundle>();

  beforeAll(async () => {
    localAwsEndpoint();
    workDir = await mkdtemp(join(tmpdir(), 'bundle-load-'));
    // The SDK-external bundles get only what the Lambda runtime provides, @aws-sdk and @smithy;
    // the bundled ones get no node_modules at all, so anything left out of them fails to load.
    const runtimeModules = join(workDir, 'external', 'node_modules');
    await mkdir(runtimeModules, { recursive: true });
    for (const scope of ['@aws-sdk', '@smithy']) {
      await symlink(join(repoRoot, 'node_modules', scope), join(runtimeModules, scope), 'dir');
    }

    const apiOwner = {
      username: 'owner@bundles.example',
      password: randomBytes(12).toString('hex'),
    };
    const [built, started, created] = await Promise.all([
      Promise.all(
        variants.map((variant) =>
          buildBundles({ outdir: join(workDir, variant), bundleAwsSdk: variant === 'bundled' }),
        ),
      ),
      startLeafSandbox({ apiOwners: [apiOwner] }),
      createLocalResources({ namePrefix: uniquePrefix('bundles'), apiOwner }),
    ]);
    sandbox = started;
    resources = created;
    outcomeBus = await createOutcomeBus(uniquePrefix('bundles'));
    for (const [i, variant] of variants.entries()) {
      for (const bundle of built[i] ?? []) {
        bundles.set(`${variant}/${bundle.name}`, bundle);
      }
    }
  }, 60_000);

  afterAll(async () => {
    await sandbox?.close();
    if (resources) {
      await destroyLocalResources(resources);
    }
    if (outcomeBus) {
      await destroyOutcomeBus(outcomeBus);
    }
    await rm(workDir, { recursive: true, force: true });
  });

  const invoke = async (
    variant: Variant,
    name: string,
    event: unknown,
    env: Record<string, string>,
  ): Promise<unknown> => {
    const bundle = bundles.get(`${variant}/${name}`);
    if (!bundle) {
      throw new Error(`no ${variant} bundle named ${name}`);
    }
    const { stdout } = await run(
      process.execPath,
      ['--enable-source-maps', '--input-type=module', '-e', invoker],
      {
        cwd: workDir,
        env: {
          ...process.env,
          ...env,
          BUNDLE_URL: pathToFileURL(bundle.file).href,
          BUNDLE_EVENT: JSON.stringify(event),
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        },
      },
    );

    return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null');
  };

  const leafEnv = () => ({
    [envNames.leafApiBaseUrl]: sandbox.url,
    [envNames.leafApiOwnerSecretId]: resources.apiOwnerSecretId,
    [envNames.statusTableName]: resources.tableName,
  });

  it.each(variants)(
    'provisions a valid record and acks a malformed one in plain Node.js when the SDK is %s',
    async (variant) => {
      // GIVEN
      const leafUserId = randomUUID();
      sandbox.addUser(leafUserId);
      const secretId = await putGrowerSecret(
        `${resources.growerSecretPrefix}${variant}/${leafUserId}`,
        canaryCredentials('PRODUCTION'),
      );
      const event = sqsEvent([
        sqsRecord({ leafUserId, secretId, provider: 'cnhi' }),
        sqsRecord('{"leafUserId": "not even JSON'),
      ]);

      // WHEN
      const result = await invoke(variant, 'provision', event, {
        ...leafEnv(),
        [envNames.sourceQueueUrl]: resources.provisioningQueueUrl,
        [envNames.deadLetterQueueUrl]: resources.provisioningDlqUrl,
        [envNames.growerSecretPrefix]: resources.growerSecretPrefix,
        [envNames.outcomeEventBusName]: outcomeBus.eventBusName,
      });

      // THEN
      expect(result).toEqual({ batchItemFailures: [] });
      expect(sandbox.credentials(leafUserId)?.status).toBeDefined();
    },
  );

  const loader = `
const { handler } = await import(process.env.BUNDLE_URL);
process.stdout.write(typeof handler + '\\n', () => process.exit(0));
`;

  // The three other functions are exercised through their source by the integration tests; here
  // each deployed bundle must at least load its configuration and export the Lambda handler.
  it.each(
    variants.flatMap((variant) =>
      Object.keys(functionEntries).map((name) => [name, variant] as const),
    ),
  )(
    'loads the %s bundle in plain Node.js and finds its handler when the SDK is %s',
    async (name, variant) => {
      // GIVEN
      const bundle = bundles.get(`${variant}/${name}`);
      expect(bundle).toBeDefined();
      const env = {
        ...leafEnv(),
        [envNames.growerSecretPrefix]: resources.growerSecretPrefix,
        [envNames.sourceQueueUrl]: resources.provisioningQueueUrl,
        [envNames.deadLetterQueueUrl]: resources.provisioningDlqUrl,
        [envNames.provisioningQueueUrl]: resources.provisioningQueueUrl,
        [envNames.outcomeEventBusName]: outcomeBus.eventBusName,
        [envNames.webhookSecretId]: 'leaf/webhook-signing-key',
      };

      // WHEN
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', loader], {
        cwd: workDir,
        env: { ...process.env, ...env, BUNDLE_URL: pathToFileURL(bundle?.file ?? '').href },
      });

      // THEN
      expect(stdout.trim()).toBe('function');
    },
  );

  it.each(variants)(
    'acks a malformed deprovisioning record in plain Node.js when the SDK is %s',
    async (variant) => {
      // GIVEN
      const event = sqsEvent([sqsRecord('[]')]);

      // WHEN
      const result = await invoke(variant, 'deprovision', event, {
        ...leafEnv(),
        [envNames.sourceQueueUrl]: resources.deprovisioningQueueUrl,
        [envNames.deadLetterQueueUrl]: resources.deprovisioningDlqUrl,
        [envNames.outcomeEventBusName]: outcomeBus.eventBusName,
      });

      // THEN
      expect(result).toEqual({ batchItemFailures: [] });
    },
  );

  it.each(variants)(
    'answers an audit of an invalid id with an error object when the SDK is %s',
    async (variant) => {
      // GIVEN
      const event = { leafUserId: 'not-a-uuid' };

      // WHEN
      const result = await invoke(variant, 'audit', event, leafEnv());

      // THEN
      expect(result).toEqual({
        error: { reasonCode: 'INVALID_LEAF_USER_ID', message: 'leafUserId must be a UUID' },
      });
    },
  );
});
