import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { GlobalOptions } from './args';
import { ConfigurationError, UsageError } from './errors';
import type { CliIo } from './io';
import { type ProductConfig, productConfigSchema } from './product-config';
import { readStackConfig } from './stack-config';

/** The id bin/app.ts gives the stack; CloudFormation names the deployed stack after it. */
export const defaultStackName = 'LeafCnhiProvisioner';

/** Where `npm run local:up` describes the environment it keeps running. */
export const localEnvironmentFile = join(__dirname, '..', '.local', 'environment.json');

type Source =
  | { readonly kind: 'file'; readonly path: string; readonly local: boolean }
  | { readonly kind: 'stack'; readonly name: string };

const localHint =
  'start it with `npm run local:up` in the repository; it writes that file and keeps the ' +
  'environment up until Ctrl-C';

// Flags win over the environment; of each, at most one way to find the product may be given.
const chooseSource = (globals: GlobalOptions, io: CliIo): Source => {
  const given = [
    globals.config === undefined ? undefined : '--config',
    globals.local ? '--local' : undefined,
    globals.stack === undefined ? undefined : '--stack',
  ].filter((flag) => flag !== undefined);
  if (given.length > 1) {
    throw new UsageError(`${given.join(' and ')} exclude each other: give one`);
  }
  if (globals.config !== undefined) {
    return { kind: 'file', path: resolve(io.cwd, globals.config), local: false };
  }
  if (globals.local) {
    return { kind: 'file', path: localEnvironmentFile, local: true };
  }
  if (globals.stack !== undefined) {
    return { kind: 'stack', name: globals.stack };
  }

  const { LEAF_CNHI_CONFIG: file, LEAF_CNHI_ENV: env, LEAF_CNHI_STACK: stack } = io.env;
  if (file) {
    return { kind: 'file', path: resolve(io.cwd, file), local: false };
  }
  if (env !== undefined && env !== '' && env !== 'local' && env !== 'aws') {
    throw new ConfigurationError(
      `LEAF_CNHI_ENV must be local or aws (given ${JSON.stringify(env)})`,
    );
  }
  if (env === 'local') {
    return { kind: 'file', path: localEnvironmentFile, local: true };
  }

  return { kind: 'stack', name: stack || defaultStackName };
};

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);

    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const readConfigFile = async (path: string, local: boolean): Promise<ProductConfig> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw local
        ? new ConfigurationError(`no local environment is running (${path} is missing)`, localHint)
        : new ConfigurationError(`configuration file ${path} does not exist`);
    }
    throw new ConfigurationError(`cannot read configuration file ${path}`, undefined, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigurationError(`configuration file ${path} is not JSON`);
  }
  const parsed = productConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigurationError(
      `configuration file ${path} is not valid:\n${z.prettifyError(parsed.error)}`,
    );
  }
  const config = parsed.data;
  if (config.mode === 'local' && config.pid !== undefined && !isRunning(config.pid)) {
    throw new ConfigurationError(
      `the local environment described in ${path} has stopped (process ${config.pid} is gone)`,
      localHint,
    );
  }

  return { ...config, source: local ? `local environment (${path})` : `file ${path}` };
};

/** Finds the product from the flags, then the environment, then the default stack. */
export const loadConfig = async (globals: GlobalOptions, io: CliIo): Promise<ProductConfig> => {
  const source = chooseSource(globals, io);

  return source.kind === 'file'
    ? readConfigFile(source.path, source.local)
    : readStackConfig(source.name, { region: globals.region, profile: globals.profile });
};
