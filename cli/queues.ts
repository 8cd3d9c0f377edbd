import type { Operation } from '../functions/shared/requests';
import type { ProductConfig } from './product-config';

/** The product's two request queues, each with its dead-letter queue. */
export const queueNames = ['provisioning', 'deprovisioning'] as const;

export type QueueName = (typeof queueNames)[number];

/** A request queue and the dead-letter queue behind it. */
export interface QueuePair {
  readonly name: QueueName;
  readonly operation: Operation;
  readonly sourceUrl: string;
  readonly deadLetterUrl: string;
}

/** The selected queue pairs, or both when none is selected. */
export const queuePairs = (config: ProductConfig, selected?: QueueName): QueuePair[] => {
  const pairs: QueuePair[] = [
    {
      name: 'provisioning',
      operation: 'PROVISION',
      sourceUrl: config.provisioningQueueUrl,
      deadLetterUrl: config.provisioningDeadLetterQueueUrl,
    },
    {
      name: 'deprovisioning',
      operation: 'DEPROVISION',
      sourceUrl: config.deprovisioningQueueUrl,
      deadLetterUrl: config.deprovisioningDeadLetterQueueUrl,
    },
  ];

  return pairs.filter((pair) => !selected || pair.name === selected);
};
