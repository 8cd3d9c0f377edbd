import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { envNames } from '../../functions/shared/env-names';
import { type BuiltBundle, buildBundles, functionEntries } from '../build-bundles';
import { median } from './stats';

const baselineName = 'sdk-only';
const baselineEntry = join(__dirname, 'sdk-baseline.ts');

// Settings read as integers, by their names' endings; they keep their defaults in a cold start.
const numericEnvName = /(_MS|_SECONDS|_ATTEMPTS|_CONCURRENCY|_PER_MINUTE)$/;

/** One bundle to start cold. */
export interface ColdStartSubject {
  readonly label: string;
  /** Absolute path of the `.mjs` bundle. */
  readonly file: string;
}

/** Cold-start times of one bundle over several fresh processes. */
export interface ColdStartResult {
  readonly label: string;
  /** Median time of `await import(bundle)`: reading, parsing and running the module's top level. */
  readonly importMs: number;
  /** Median time from process start to the end of the import, Node.js's own start included. */
  readonly processMs: number;
  /** Median CPU time (user and system, all threads) the import took; steadier under load. */
  readonly cpuMs: number;
  readonly samples: readonly number[];
}

// Runs in the fresh process: performance.now() counts from the process's time origin, so the
// second figure includes Node.js's bootstrap, which is the same for every bundle.
const probe = [
  'const cpu = process.cpuUsage();',
  'const started = performance.now();',
  'await import(process.env.BENCH_BUNDLE_URL);',
  'const ended = performance.now();',
  'const used = process.cpuUsage(cpu);',
  'const cpuMs = (used.user + used.system) / 1000;',
  'console.log(JSON.stringify({ importMs: ended - started, processMs: ended, cpuMs }));',
].join('\n');

interface Sample {
  readonly importMs: number;
  readonly processMs: number;
  readonly cpuMs: number;
}

const startOnce = (file: string, env: NodeJS.ProcessEnv) =>
  new Promise<Sample>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', probe], {
      env: { ...env, BENCH_BUNDLE_URL: pathToFileURL(file).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`cold start of ${file} failed (exit ${code}): ${err.slice(-2_000)}`));
        return;
      }
      resolve(JSON.parse(last) as Sample);
    });
  });

/**
 * Starts each bundle in `rounds` fresh Node.js processes, one bundle after another in each round,
 * so a burst of noise on the shared machine hits every bundle alike instead of one. One discarded
 * round first warms the file cache, as a provisioned Lambda sandbox's disk is.
 */
export const measureColdStarts = async (
  subjects: readonly ColdStartSubject[],
  env: NodeJS.ProcessEnv,
  rounds: number,
): Promise<ColdStartResult[]> => {
  const imports = subjects.map(() => [] as number[]);
  const processes = subjects.map(() => [] as number[]);
  const cpus = subjects.map(() => [] as number[]);
  for (let round = -1; round < rounds; round++) {
    for (const [i, subject] of subjects.entries()) {
      const sample = await startOnce(subject.file, env);
      if (round >= 0) {
        imports[i]?.push(sample.importMs);
        processes[i]?.push(sample.processMs);
        cpus[i]?.push(sample.cpuMs);
      }
    }
  }

  return subjects.map((subject, i) => ({
    label: subject.label,
    importMs: median(imports[i] ?? []),
    processMs: median(processes[i] ?? []),
    cpuMs: median(cpus[i] ?? []),
    samples: imports[i] ?? [],
  }));
};

/** Cold starts of one way of bundling: each function and the SDK-only reference. */
export interface BundlingVariantResult {
  readonly bundleAwsSdk: boolean;
  readonly baseline: ColdStartResult & { readonly kb: number };
  readonly functions: readonly (ColdStartResult & {
    readonly kb: number;
    readonly ratio: number;
  })[];
  /** The worst function's import time over the reference's. */
  readonly initRatio: number;
}

// Values for every variable a function reads at import; nothing is called during a cold start,
// so any well-formed value will do. Numeric settings keep their defaults.
const importEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_OPTIONS: '--enable-source-maps',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const name of Object.values(envNames)) {
    if (!numericEnvName.test(name)) {
      env[name] = name.endsWith('_URL') ? `https://bench.invalid/${name}` : `bench-${name}`;
    }
  }

  return env;
};

/**
 * Builds the three functions and the SDK-only reference (sdk-baseline.ts) both ways, SDK bundled
 * and SDK external, and starts every bundle cold `rounds` times, as Lambda runs it: a fresh
 * Node.js process with `--enable-source-maps`.
 */
export const measureBundlingVariants = async (
  outdir: string,
  rounds: number,
): Promise<BundlingVariantResult[]> => {
  const variants = [true, false];
  const built = await Promise.all(
    variants.map((bundleAwsSdk) =>
      buildBundles({
        outdir: join(outdir, bundleAwsSdk ? 'sdk-bundled' : 'sdk-external'),
        bundleAwsSdk,
        entries: { ...functionEntries, [baselineName]: baselineEntry },
      }),
    ),
  );
  const subjects = built.flat().map((bundle) => ({
    label: `${bundle.bundleAwsSdk}/${bundle.name}`,
    file: bundle.file,
  }));
  const results = await measureColdStarts(subjects, importEnv(), rounds);
  const byLabel = new Map(results.map((result) => [result.label, result]));

  return variants.map((bundleAwsSdk, i) => {
    const bundles = built[i] ?? [];
    const withSize = (bundle: BuiltBundle) => ({
      ...(byLabel.get(`${bundleAwsSdk}/${bundle.name}`) as ColdStartResult),
      kb: bundle.bytes / 1024,
    });
    const reference = bundles.find((bundle) => bundle.name === baselineName);
    if (!reference) {
      throw new Error('the SDK-only reference bundle was not built');
    }
    const baseline = withSize(reference);
    const functions = bundles
      .filter((bundle) => bundle !== reference)
      .map((bundle) => {
        const result = withSize(bundle);

        return { ...result, ratio: result.importMs / baseline.importMs };
      });

    return {
      bundleAwsSdk,
      baseline,
      functions,
      initRatio: Math.max(...functions.map((result) => result.ratio)),
    };
  });
};
