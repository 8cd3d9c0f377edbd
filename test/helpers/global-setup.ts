import { motoClientEnvironment, startMoto } from '../../local/moto-server';

/** Where the global setup leaves the server for the global teardown, which runs in its process. */
export const motoGlobalKey = '__leafCnhiMoto';

/**
 * Starts one moto server for the whole jest run and points the AWS SDK at it through the
 * environment, which the test workers inherit. Tests share the server and keep apart by giving
 * their resources unique names. The first run also installs moto into .venv.
 */
// Jest loads a global setup module through its default export, so this file must have one.
export default async function globalSetup(): Promise<void> {
  const moto = await startMoto();
  Object.assign(process.env, motoClientEnvironment(moto.endpoint));
  (globalThis as Record<string, unknown>)[motoGlobalKey] = moto;
}
