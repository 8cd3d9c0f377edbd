import { createAuditHandler } from './shared/audit';
import { readLeafConfig } from './shared/env';

/** Lambda entry point of the audit: what Leaf holds for a user, without a single secret value. */
export const handler = createAuditHandler(readLeafConfig(process.env));
