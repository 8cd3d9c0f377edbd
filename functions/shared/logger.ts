import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger of the product. Service name and level come from the standard Powertools
 * variables (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_LOG_LEVEL`). Log ids, codes and counts only:
 * message bodies and Leaf's answers hold secrets and are never passed to it.
 */
export const logger = new Logger({ serviceName: 'leaf-cnhi-provisioner' });

export type RecordLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
