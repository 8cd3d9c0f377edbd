import type { ProvisionConfig } from './env';
import {
  assertAllowedSecret,
  type GrowerCredentials,
  type GrowerSecretPolicy,
  readGrowerCredentials,
} from './grower-secret';
import { createLeafRuntime, type LeafRuntime } from './leaf-runtime';
import { createOutcomePublisher, type OutcomePublisher } from './outcome-events';
import { createQueueConsumer, type RequestWork } from './queue-consumer';
import type { CredentialRequest } from './requests';

const secretPolicy = (config: ProvisionConfig): GrowerSecretPolicy => ({
  prefix: config.growerSecretPrefix,
  apiOwnerSecretId: config.leafApiOwnerSecretId,
});

/**
 * Reads the grower's credentials for a request. The consumer starts it beside the claim, so the
 * two round trips overlap. That is safe when the claim then finds the record a duplicate, stale
 * or busy: the values stay in this function's memory and are dropped unused (never logged, never
 * sent), and a failed read is dropped too, so such a record ends exactly as it would have without
 * the read. What it costs is one Secrets Manager call (and its CloudTrail entry) per such record.
 */
export const readRequestCredentials =
  (runtime: LeafRuntime, config: ProvisionConfig) =>
  (request: CredentialRequest): Promise<GrowerCredentials> =>
    readGrowerCredentials(
      runtime.aws.secrets,
      request.secretId as string,
      request.provider,
      secretPolicy(config),
    );

/**
 * Makes Leaf hold exactly the grower's current credentials. What Leaf does with a POST while a
 * credential exists is not documented (replace, 400 or 409 are all plausible), so the credential
 * is read first: an identical one is left alone, a different one is removed before the new one is
 * created. Reading first also settles a POST whose answer was lost: the retry finds it applied.
 */
export const provisionCredential =
  (runtime: LeafRuntime): RequestWork<GrowerCredentials> =>
  async (request, { budgetMs, prepared }) => {
    const { leafUserId, provider } = request;
    const credentials = await prepared;

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
    work: provisionCredential(runtime),
    prepare: readRequestCredentials(runtime, config),
    check: (request) => assertAllowedSecret(request.secretId as string, secretPolicy(config)),
    events,
    leafPaceWaitMs: () => runtime.leaf.paceWaitMs(),
  });
