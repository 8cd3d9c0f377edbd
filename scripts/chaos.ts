import { motoClientEnvironment, startMoto } from '../local/moto-server';
import { ChaosOptionsError, parseChaosOptions } from './chaos/options';
import { stderrProgress } from './chaos/progress';
import { startSerialDynamoDb } from './chaos/serial-dynamodb';

/**
 * `npm run chaos [-- --requests 1000 --seed 7 …]`: the fault-injection run. Starts moto and the
 * Leaf sandbox, sends provisioning and deprovisioning requests through the real handlers while
 * Leaf fails in every way it can, then checks that nothing was lost, misapplied, written twice or
 * leaked. Progress goes to stderr; the last line on stdout is one JSON object with the figures.
 * Exits non-zero when a figure that must be zero is not.
 */

// The functions run on Node.js 24 in Lambda; locally the SDK's notice about Node.js 20 is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Kept quiet until the run raises the level and captures the output to search it for secrets.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Metric lines go to stdout, whose last line must stay the JSON figures.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const main = async (): Promise<number> => {
  const options = parseChaosOptions(process.argv.slice(2), process.env);
  const progress = stderrProgress();
  progress.line(`starting moto and the Leaf sandbox (seed ${options.seed})`);
  const moto = await startMoto();
  const dynamo = await startSerialDynamoDb(moto.endpoint);
  Object.assign(process.env, motoClientEnvironment(moto.endpoint), {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  });
  // Loaded after the environment points at moto, so every SDK client is built against it.
  const { startLocalEnvironment } = await import('../local/local-environment');
  const { chaosEnvironmentOptions, runChaos } = await import('./chaos/run');
  const env = await startLocalEnvironment(chaosEnvironmentOptions(options));
  const stopDynamoTicker = progress.every(5_000, () => {
    const { requests, busyMs, waiting } = dynamo.stats();

    return `DynamoDB (moto): ${requests} requests, ${(busyMs / 1000).toFixed(0)} s busy, ${waiting} waiting`;
  });

  let result: Awaited<ReturnType<typeof runChaos>>;
  try {
    result = await runChaos(env, options, progress);
  } finally {
    stopDynamoTicker();
    await env.close();
    await dynamo.close();
    await moto.stop();
  }
  for (const problem of result.problems.slice(0, 50)) {
    progress.line(`problem: ${problem}`);
  }
  if (result.problems.length > 50) {
    progress.line(`… and ${result.problems.length - 50} more problems`);
  }
  progress.line(
    result.failures.length === 0
      ? 'every required zero is zero'
      : `not zero: ${result.failures.join(', ')}`,
  );
  console.log(JSON.stringify(result.figures));

  return result.failures.length === 0 ? 0 : 1;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usage = error instanceof ChaosOptionsError;
    console.error(
      `chaos ${usage ? 'options' : 'run'} failed:`,
      error instanceof Error ? error.message : error,
    );
    process.exit(usage ? 2 : 1);
  },
);
