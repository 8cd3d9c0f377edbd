import { createDeprovisionHandler } from './shared/deprovisioning';
import { readConsumerConfig } from './shared/env';

/** Lambda entry point of the deprovisioning queue: removes growers' CNHI credentials from Leaf. */
export const handler = createDeprovisionHandler(readConsumerConfig(process.env));
