import type { MotoServer } from '../../local/moto-server';
import { motoGlobalKey } from './global-setup';

/** Stops the moto server that the global setup started. */
// Jest loads a global teardown module through its default export, so this file must have one.
export default async function globalTeardown(): Promise<void> {
  const moto = (globalThis as Record<string, unknown>)[motoGlobalKey] as MotoServer | undefined;
  await moto?.stop();
}
