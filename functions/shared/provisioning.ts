import type { ProvisionConfig } from './env';
import { readGrowerCredentials } from './grower-secret';
import { createLeafRuntime, type LeafRuntime } from './leaf-runtime';
import { createOutcomePublisher, type OutcomePublisher } from './outcome-events';
import { createQueueConsumer, type RequestWork } from './queue-consumer';

/**
 * Makes Leaf hold exactly the grower's current credentials. What Leaf does with a POST while a
 * credential exists is not documented (replace, 400 or 409 are all plausible), so the credential
 * is read first: an identical one is left alone, a different one is removed before the new one is
 * created. Reading first also settles a POST whose answer was lost: the retry finds it applied.
 */
export const provisionCredential =
  (runtime: LeafRuntime, config: ProvisionConfig): RequestWork =>
  async (request, { budgetMs }) => {
    const { leafUserId, provider } = request;
    const credentials = await readGrowerCredentials(
      runtime.aws.secrets,
      request.secretId as string,
      provider,
      { prefix: config.growerSecretPrefix, apiOwnerSecretId: config.leafApiOwnerSecretId },
    );

    const held = await runtime.leaf.getCredential(leafUserId, provider, { budgetMs: budgetMs() });
    if (held?.holds(credentials)) {
      return {
        state: 'PROVISIONED',
        action: 'UNCHANGED',
        leafStatus: held.summary.status,
        credentialId: held.summary.id,
      };
    }
    if (held) {
      await runtime.leaf.deleteCredential(leafUserId, provider, { budgetMs: budgetMs() });
    }
    const created = await runtime.leaf.createCredential(leafUserId, provider, credentials, {
      budgetMs: budgetMs(),
    });

    return {
      state: 'PROVISIONED',
      action: held ? 'REPLACED' : 'CREATED',
      leafStatus: created.summary.status,
      credentialId: created.summary.id,
    };
  };

/** The provisioning queue's handler, with everything it needs built once. */
export const createProvisionHandler = (
  config: ProvisionConfig,
  runtime = createLeafRuntime(config),
  events: OutcomePublisher = createOutcomePublisher({ eventBusName: config.outcomeEventBusName }),
) =>
  createQueueConsumer({
    operation: 'PROVISION',
    config,
    store: runtime.store,
    sqs: runtime.aws.sqs,
    work: provisionCredential(runtime, config),
    events,
    leafPaceWaitMs: () => runtime.leaf.paceWaitMs(),
  });
