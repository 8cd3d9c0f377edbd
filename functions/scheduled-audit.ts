import { readScheduledAuditConfig } from './shared/env';
import { createScheduledAuditHandler } from './shared/scheduled-audit-handler';

/** Lambda entry point of the schedule: reads every recorded credential back from Leaf. */
export const handler = createScheduledAuditHandler(readScheduledAuditConfig(process.env));
