import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { localEnvironmentFile } from '../cli/config';
import type { productConfigSchema } from '../cli/product-config';
import { motoClientEnvironment, startMoto } from './moto-server';

/**
 * `npm run local:up`: the product on this machine, kept up for the operator command. Starts moto
 * and the Leaf sandbox, creates what the stack would create, runs the real handlers from the
 * queues, seeds a few growers, and describes it all in .local/environment.json, which
 * `leaf-cnhi --local` reads. Runs until Ctrl-C, then removes everything it made.
 */

const usage = `Usage: npm run local:up [-- --growers N]

Keeps a local environment up for \`leaf-cnhi --local\` until Ctrl-C.
  --growers N   growers to seed: Leaf users in the sandbox, secrets in the emulator, and a
                ready-to-send .local/growers.csv (default 3)

The functions' JSON logs appear here, as CloudWatch would show them; set POWERTOOLS_LOG_LEVEL=WARN
(or SILENT) for fewer, and POWERTOOLS_METRICS_DISABLED=false to see their metrics too.`;

// The functions run on Node.js 24 in Lambda; locally the SDK's notice about Node.js 20 is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';
// Metrics in embedded format are for CloudWatch to read; here they would bury the logs.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const growersFile = join(dirname(localEnvironmentFile), 'growers.csv');

type EnvironmentFile = z.input<typeof productConfigSchema> & Record<string, unknown>;

const readGrowerCount = (): number => {
  const { values } = parseArgs({
    options: { growers: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const count = Number(values.growers ?? 3);
  if (!Number.isInteger(count) || count < 0 || count > 1000) {
    console.error(`--growers must be a whole number from 0 to 1000 (given ${values.growers})`);
    process.exit(2);
  }

  return count;
};

// A second environment would leave the first one's file behind, pointing at the wrong ports.
const refuseIfRunning = async () => {
  try {
    const { pid } = JSON.parse(await readFile(localEnvironmentFile, 'utf8')) as { pid?: number };
    if (pid && pid !== process.pid) {
      process.kill(pid, 0);
      console.error(`a local environment is already running (process ${pid}); stop it first`);
      process.exit(1);
    }
  } catch {
    // No file, or its process is gone: the file is stale and will be replaced.
  }
};

const main = async () => {
  const growerCount = readGrowerCount();
  await refuseIfRunning();

  const moto = await startMoto();
  Object.assign(process.env, motoClientEnvironment(moto.endpoint));
  // Loaded after the environment points at moto, so every SDK client is built against it.
  const { startLocalEnvironment } = await import('./local-environment');
  const env = await startLocalEnvironment({ namePrefix: `local-${Date.now().toString(36)}` });
  const { resources, sandbox } = env;

  const growers: { leafUserId: string; secretId: string; provider: string }[] = [];
  for (let i = 1; i <= growerCount; i++) {
    const provider = i % 2 === 1 ? 'cnhi' : 'cnhi-fieldops';
    const leafUserId = randomUUID();
    sandbox.addUser(leafUserId);
    // Named `<prefix><provider>/<leafUserId>`, the form the secret-change trigger maps back.
    await env.putGrowerSecret(`${provider}/${leafUserId}`, {
      clientId: `local-client-${i}`,
      clientSecret: `local-secret-${randomUUID()}`,
      subscriptionKey: `local-subscription-${randomUUID()}`,
      refreshToken: `local-refresh-${randomUUID()}`,
      ...(provider === 'cnhi' ? { clientEnvironment: 'PRODUCTION' } : {}),
    });
    growers.push({
      leafUserId,
      secretId: `${resources.growerSecretPrefix}${provider}/${leafUserId}`,
      provider,
    });
  }

  const description: EnvironmentFile = {
    mode: 'local',
    region: process.env.AWS_REGION,
    endpoint: moto.endpoint,
    provisioningQueueUrl: resources.provisioningQueueUrl,
    provisioningDeadLetterQueueUrl: resources.provisioningDlqUrl,
    deprovisioningQueueUrl: resources.deprovisioningQueueUrl,
    deprovisioningDeadLetterQueueUrl: resources.deprovisioningDlqUrl,
    statusTableName: resources.tableName,
    leaf: {
      apiBaseUrl: sandbox.url,
      apiOwnerSecretId: resources.apiOwnerSecretId,
      requestTimeoutMs: env.provisionConfig.leafRequestTimeoutMs,
    },
    pid: process.pid,
    // For the operator's eyes; the command reads none of these.
    sandboxControlUrl: `${sandbox.url}/__sandbox/`,
    growerSecretPrefix: resources.growerSecretPrefix,
    startedAt: new Date().toISOString(),
  };
  await mkdir(dirname(localEnvironmentFile), { recursive: true });
  await writeFile(localEnvironmentFile, `${JSON.stringify(description, null, 2)}\n`);
  const rows = growers.map((g) => `${g.leafUserId},${g.secretId},${g.provider}\n`);
  await writeFile(growersFile, ['leafUserId,secretId,provider\n', ...rows].join(''));

  const shown = (path: string) => relative(process.cwd(), path) || path;
  console.log(`local environment up (process ${process.pid}); Ctrl-C stops it
  moto (AWS emulator)  ${moto.endpoint}
  Leaf sandbox         ${sandbox.url}  (control API ${description.sandboxControlUrl})
  described in         ${shown(localEnvironmentFile)}
  growers              ${growers.length} in ${shown(growersFile)}, secrets under ${resources.growerSecretPrefix}

Try, from the repository (or anywhere after \`npm link\`):
  npx leaf-cnhi enqueue provision --local --file ${shown(growersFile)}
  npx leaf-cnhi status --local
  npx leaf-cnhi audit --local --user ${growers[0]?.leafUserId ?? '<leafUserId>'}
  npx leaf-cnhi dlq list --local
A Leaf user the sandbox does not know ends in the dead-letter queue; add one with
  curl -X POST ${description.sandboxControlUrl}users -d '{"id":"<leafUserId>"}'
`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      console.error(`\n${signal} again: exiting at once`);
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal}: stopping the local environment`);
    await env.close();
    await moto.stop();
    await rm(localEnvironmentFile, { force: true });
    await rm(growersFile, { force: true });
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stop(signal).catch((error: unknown) => {
        console.error('stopping failed:', error instanceof Error ? error.message : error);
        process.exit(1);
      });
    });
  }
};

main().catch((error: unknown) => {
  console.error('local:up failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
