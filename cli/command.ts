import type { GlobalOptions } from './args';
import { type CliClients, createClients } from './aws-clients';
import { loadConfig } from './config';
import type { ExitCode } from './errors';
import type { CliIo } from './io';
import type { ProductConfig } from './product-config';

/** One command of `leaf-cnhi`. */
export interface Command {
  readonly name: string;
  /** One line for the overview. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  run(args: readonly string[], io: CliIo): Promise<ExitCode>;
}

/** The deployed (or local) product a command works on. */
export interface Product {
  readonly config: ProductConfig;
  readonly clients: CliClients;
}

/**
 * Finds the product the flags point at and hands it to `work`, closing its clients afterwards.
 * Commands call it only after their arguments are checked, so a usage error never waits on AWS.
 */
export const withProduct = async <T>(
  globals: GlobalOptions,
  io: CliIo,
  work: (product: Product) => Promise<T>,
): Promise<T> => {
  const config = await loadConfig(globals, io);
  const clients = createClients(config, globals);
  try {
    return await work({ config, clients });
  } finally {
    clients.destroy();
  }
};
