import type { ConsumerConfig } from './env';
import { createLeafRuntime, type LeafRuntime } from './leaf-runtime';
import { createOutcomePublisher, type OutcomePublisher } from './outcome-events';
import { createQueueConsumer, type RequestWork } from './queue-consumer';

/** Removes the user's credential from Leaf; finding none already there counts as done. */
export const deprovisionCredential =
  (runtime: LeafRuntime): RequestWork =>
  async (request, { budgetMs }) => {
    const result = await runtime.leaf.deleteCredential(request.leafUserId, request.provider, {
      budgetMs: budgetMs(),
    });

    return { state: 'REMOVED', action: result === 'removed' ? 'REMOVED' : 'ALREADY_ABSENT' };
  };

/** The deprovisioning queue's handler, with everything it needs built once. */
export const createDeprovisionHandler = (
  config: ConsumerConfig,
  runtime = createLeafRuntime(config),
  events: OutcomePublisher = createOutcomePublisher({ eventBusName: config.outcomeEventBusName }),
) =>
  createQueueConsumer({
    operation: 'DEPROVISION',
    config,
    store: runtime.store,
    sqs: runtime.aws.sqs,
    work: deprovisionCredential(runtime),
    events,
    leafPaceWaitMs: () => runtime.leaf.paceWaitMs(),
  });
