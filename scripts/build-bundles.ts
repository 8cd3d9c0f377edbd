import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { defaultBundleAwsSdk, esbuildOptions, functionBundling } from '../lib/bundling';

const repoRoot = resolve(__dirname, '..');

/** The Lambda entry points the stack deploys, by bundle name. */
export const functionEntries = {
  provision: join(repoRoot, 'functions/provision.ts'),
  deprovision: join(repoRoot, 'functions/deprovision.ts'),
  audit: join(repoRoot, 'functions/audit.ts'),
  'secret-changed': join(repoRoot, 'functions/secret-changed.ts'),
  webhook: join(repoRoot, 'functions/webhook.ts'),
  'scheduled-audit': join(repoRoot, 'functions/scheduled-audit.ts'),
} as const;

export type BundleName = keyof typeof functionEntries;

/** Options of {@link buildBundles}. */
export interface BuildBundlesOptions {
  /** Receives one folder per bundle, `<outdir>/<name>/index.mjs`, as NodejsFunction lays it out. */
  readonly outdir: string;
  /** @default defaultBundleAwsSdk (lib/bundling.ts) */
  readonly bundleAwsSdk?: boolean;
  /** Entry points to build, by name. @default the three functions */
  readonly entries?: Readonly<Record<string, string>>;
}

/** One built bundle. */
export interface BuiltBundle {
  readonly name: string;
  /** Absolute path of the `.mjs` file. */
  readonly file: string;
  /** Size of the `.mjs` file, source map excluded. */
  readonly bytes: number;
  readonly bundleAwsSdk: boolean;
}

/** Builds each entry with the stack's esbuild options (lib/bundling.ts), all at once. */
export const buildBundles = async (options: BuildBundlesOptions): Promise<BuiltBundle[]> => {
  const bundleAwsSdk = options.bundleAwsSdk ?? defaultBundleAwsSdk;
  const entries = Object.entries(options.entries ?? functionEntries);

  return Promise.all(
    entries.map(async ([name, entry]) => {
      const outdir = resolve(options.outdir, name);
      await build(esbuildOptions({ entry, outdir, bundleAwsSdk }));
      const file = join(outdir, functionBundling.outputFile);

      return { name, file, bytes: (await stat(file)).size, bundleAwsSdk };
    }),
  );
};

const usage = `Builds the Lambda bundles exactly as the stack does.

  --outdir <dir>           default dist/bundles
  --sdk bundled|external   default ${defaultBundleAwsSdk ? 'bundled' : 'external'} (lib/bundling.ts)`;

const main = async () => {
  const { values } = parseArgs({
    options: {
      outdir: { type: 'string', default: join(repoRoot, 'dist/bundles') },
      sdk: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  if (values.sdk !== undefined && values.sdk !== 'bundled' && values.sdk !== 'external') {
    throw new RangeError(`--sdk must be bundled or external (given ${values.sdk})`);
  }
  const bundleAwsSdk = values.sdk === undefined ? defaultBundleAwsSdk : values.sdk === 'bundled';

  for (const bundle of await buildBundles({ outdir: values.outdir, bundleAwsSdk })) {
    console.log(`${bundle.file}  ${(bundle.bytes / 1024).toFixed(1)} KB`);
  }
};

// The test and the bench import buildBundles; only `tsx scripts/build-bundles.ts` builds at once.
if (process.argv[1] && resolve(process.argv[1]) === __filename) {
  main().catch((error: unknown) => {
    console.error('build failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
