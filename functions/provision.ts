import { readProvisionConfig } from './shared/env';
import { createProvisionHandler } from './shared/provisioning';

/** Lambda entry point of the provisioning queue: attaches growers' CNHI credentials in Leaf. */
export const handler = createProvisionHandler(readProvisionConfig(process.env));
