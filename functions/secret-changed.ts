import { readSecretChangeConfig } from './shared/env';
import { createSecretChangedHandler } from './shared/secret-change';

/** Lambda entry point of the secret-change rules: re-provisions a grower whose secret changed. */
export const handler = createSecretChangedHandler(readSecretChangeConfig(process.env));
