import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

// Bundled ESM has no `require`; CommonJS dependencies that call it need one made for them.
const requireBanner =
  "import { createRequire as topLevelCreateRequire } from 'node:module';" +
  'const require = topLevelCreateRequire(import.meta.url);';

/**
 * How every function is bundled, in esbuild's own terms. The stack ({@link nodejsBundling}) and
 * `scripts/build-bundles.ts` ({@link esbuildOptions}) both derive from this one object, so the
 * bundle the tests load and the bench measures is the bundle that is deployed. esbuild tree-shakes
 * whatever it bundles; `minify` also drops the names and whitespace.
 */
export const functionBundling = {
  format: 'esm',
  platform: 'node',
  target: 'node24',
  // Prefer a package's ES module build: it tree-shakes where a CommonJS build cannot.
  mainFields: ['module', 'main'],
  banner: requireBanner,
  minify: true,
  // Linked source maps; the functions run with `--enable-source-maps`, so stack traces name our
  // TypeScript lines.
  sourcemap: true,
  // What NodejsFunction names an ESM bundle; Node.js needs `.mjs` to load it as a module.
  outputFile: 'index.mjs',
} as const;

/**
 * What the Lambda Node.js runtime provides, left out of the bundle when the SDK is not bundled.
 * `@smithy/*` goes with `@aws-sdk/*`, as the CDK flag `sdkV3ExcludeSmithyPackages` (set in
 * cdk.json) does, so the SDK's clients and their runtime packages always come from one place.
 */
export const runtimeProvidedModules = ['@aws-sdk/*', '@smithy/*'] as const;

/**
 * Whether the functions carry their own AWS SDK. Measured by `npm run bench` (cold start of each
 * bundle in a fresh Node.js process with `--enable-source-maps`, median of 7; README,
 * Performance): bundled, provision loads in about 130 ms; with the SDK taken from node_modules,
 * as the runtime would give it, in about 220 ms. Resolving and loading the SDK's hundreds of
 * separate files costs more than parsing the same code in one minified file, so it is bundled.
 */
export const defaultBundleAwsSdk = true;

/** Modules esbuild leaves as imports, to be resolved at run time. */
export const externalModules = (bundleAwsSdk: boolean): string[] =>
  bundleAwsSdk ? [] : [...runtimeProvidedModules];

/** {@link functionBundling} as NodejsFunction's bundling options. */
export const nodejsBundling = (bundleAwsSdk: boolean = defaultBundleAwsSdk): BundlingOptions => ({
  format: functionBundling.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
  target: functionBundling.target,
  mainFields: [...functionBundling.mainFields],
  banner: functionBundling.banner,
  minify: functionBundling.minify,
  sourceMap: functionBundling.sourcemap,
  bundleAwsSDK: bundleAwsSdk,
  // Explicit, rather than left to bundleAwsSDK and a feature flag, so esbuildOptions can match it.
  externalModules: externalModules(bundleAwsSdk),
});

/** What to build with {@link esbuildOptions}. */
export interface BundleTarget {
  /** Path of the TypeScript entry point. */
  readonly entry: string;
  /** Folder that receives `index.mjs` and its source map. */
  readonly outdir: string;
  /** @default defaultBundleAwsSdk */
  readonly bundleAwsSdk?: boolean;
}

/** {@link functionBundling} as esbuild's build options, the same arguments NodejsFunction passes. */
export const esbuildOptions = (target: BundleTarget): BuildOptions => ({
  entryPoints: [target.entry],
  outfile: `${target.outdir}/${functionBundling.outputFile}`,
  bundle: true,
  format: functionBundling.format,
  platform: functionBundling.platform,
  target: functionBundling.target,
  mainFields: [...functionBundling.mainFields],
  banner: { js: functionBundling.banner },
  minify: functionBundling.minify,
  sourcemap: functionBundling.sourcemap,
  external: externalModules(target.bundleAwsSdk ?? defaultBundleAwsSdk),
  logLevel: 'warning',
});
