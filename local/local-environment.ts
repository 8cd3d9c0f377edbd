import { randomBytes } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { type AuditAnswer, type AuditFailure, createAuditHandler } from '../functions/shared/audit';
import { createDeprovisionHandler } from '../functions/shared/deprovisioning';
import type { ConsumerConfig, LeafConfig, ProvisionConfig } from '../functions/shared/env';
import { createLeafRuntime, type LeafRuntime } from '../functions/shared/leaf-runtime';
import { createProvisionHandler } from '../functions/shared/provisioning';
import {
  createLocalResources,
  createOutcomeBus,
  destroyLocalResources,
  destroyOutcomeBus,
  type LocalOutcomeBus,
  type LocalResources,
  putGrowerSecret,
} from './aws-resources';
import { createLambdaContext } from './lambda-context';
import type { LeafSandbox, LeafSandboxOptions } from './leaf-sandbox/server';
import { startLeafSandbox } from './leaf-sandbox/server';
import { SqsPoller } from './sqs-poller';

/** Knobs of a local run; the defaults keep retries quick so a run takes seconds, not minutes. */
export interface LocalEnvironmentOptions {
  /** @default a random `local-xxxx` */
  readonly namePrefix?: string;
  /** @default 2 */
  readonly visibilityTimeoutSeconds?: number;
  /** Deliveries of one message before it is dead-lettered. @default 3 */
  readonly maxAttempts?: number;
  /** @default 0 */
  readonly retryBaseDelaySeconds?: number;
  /** @default 2 */
  readonly retryMaxDelaySeconds?: number;
  /** @default 10 */
  readonly recordConcurrency?: number;
  /** The stand-in function timeout. @default 15_000 */
  readonly functionTimeoutMs?: number;
  /** @default 3_000 */
  readonly leafRequestTimeoutMs?: number;
  /** Concurrent invocations per queue, like the event source's maximum concurrency. @default 2 */
  readonly maxConcurrency?: number;
  /** Options of the Leaf sandbox, less its API owners (made here). */
  readonly sandbox?: Omit<LeafSandboxOptions, 'apiOwners'>;
}

/** A provisioning or deprovisioning message as producers send it. */
export type RequestMessage = Record<string, unknown>;

/** Everything a local run holds: emulated AWS resources, the Leaf sandbox, handlers, pollers. */
export interface LocalEnvironment {
  readonly resources: LocalResources;
  /** The outcome event bus, with a queue that receives every event published on it. */
  readonly outcomeBus: LocalOutcomeBus;
  readonly sandbox: LeafSandbox;
  readonly provisionConfig: ProvisionConfig;
  readonly deprovisionConfig: ConsumerConfig;
  readonly runtime: LeafRuntime;
  readonly provisionPoller: SqsPoller;
  readonly deprovisionPoller: SqsPoller;
  /** Stores a grower secret under the environment's prefix; returns its name. */
  putGrowerSecret(suffix: string, value: object | string | Uint8Array): Promise<string>;
  enqueueProvision(message: RequestMessage | string): Promise<string>;
  enqueueDeprovision(message: RequestMessage | string): Promise<string>;
  /** Polls both queues until both have been idle for a while. */
  drain(options?: { idleMs?: number; timeoutMs?: number }): Promise<void>;
  audit(leafUserId: string, provider?: string): Promise<AuditAnswer | AuditFailure>;
  /** Stops pollers and the sandbox and deletes the emulated resources. */
  close(): Promise<void>;
}

/**
 * Builds the product on one machine from the real handlers: it expects the AWS SDK to point at an
 * emulator already (`AWS_ENDPOINT_URL`), starts a Leaf sandbox on a free loopback port and feeds
 * the handlers from the queues as Lambda's event source would.
 */
export const startLocalEnvironment = async (
  options: LocalEnvironmentOptions = {},
): Promise<LocalEnvironment> => {
  const namePrefix = options.namePrefix ?? `local-${randomBytes(4).toString('hex')}`;
  const apiOwner = {
    username: `owner@${namePrefix}.example`,
    password: randomBytes(12).toString('hex'),
  };
  const maxAttempts = options.maxAttempts ?? 3;
  const functionTimeoutMs = options.functionTimeoutMs ?? 15_000;

  const sandbox = await startLeafSandbox({ ...options.sandbox, apiOwners: [apiOwner] });
  const resources = await createLocalResources({
    namePrefix,
    apiOwner,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 2,
    maxReceiveCount: maxAttempts,
  });
  const outcomeBus = await createOutcomeBus(namePrefix);

  const leafConfig: LeafConfig = {
    leafApiBaseUrl: sandbox.url,
    leafApiOwnerSecretId: resources.apiOwnerSecretId,
    leafRequestTimeoutMs: options.leafRequestTimeoutMs ?? 3_000,
    statusTableName: resources.tableName,
  };
  const consumer = {
    ...leafConfig,
    maxAttempts,
    retryBaseDelaySeconds: options.retryBaseDelaySeconds ?? 0,
    retryMaxDelaySeconds: options.retryMaxDelaySeconds ?? 2,
    recordConcurrency: options.recordConcurrency ?? 10,
    outcomeEventBusName: outcomeBus.eventBusName,
  };
  const provisionConfig: ProvisionConfig = {
    ...consumer,
    sourceQueueUrl: resources.provisioningQueueUrl,
    deadLetterQueueUrl: resources.provisioningDlqUrl,
    growerSecretPrefix: resources.growerSecretPrefix,
  };
  const deprovisionConfig: ConsumerConfig = {
    ...consumer,
    sourceQueueUrl: resources.deprovisioningQueueUrl,
    deadLetterQueueUrl: resources.deprovisioningDlqUrl,
  };

  // Each function has its own execution environment in AWS, and so its own Leaf token here.
  const runtime = createLeafRuntime(leafConfig);
  const provisionHandler = createProvisionHandler(provisionConfig);
  const deprovisionHandler = createDeprovisionHandler(deprovisionConfig);
  const auditHandler = createAuditHandler(leafConfig, runtime);

  const pollerDefaults = {
    functionTimeoutMs,
    maxConcurrency: options.maxConcurrency ?? 2,
    waitTimeSeconds: 1,
  };
  const provisionPoller = new SqsPoller({
    ...pollerDefaults,
    queueUrl: resources.provisioningQueueUrl,
    queueArn: resources.provisioningQueueArn,
    functionName: `${namePrefix}-provision`,
    handler: provisionHandler,
  });
  const deprovisionPoller = new SqsPoller({
    ...pollerDefaults,
    queueUrl: resources.deprovisioningQueueUrl,
    queueArn: resources.deprovisioningQueueArn,
    functionName: `${namePrefix}-deprovision`,
    handler: deprovisionHandler,
  });
  provisionPoller.start();
  deprovisionPoller.start();

  const sqs = new SQSClient({});
  const send = async (queueUrl: string, message: RequestMessage | string) => {
    const body = typeof message === 'string' ? message : JSON.stringify(message);
    const answer = await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }),
    );

    return answer.MessageId ?? '';
  };

  return {
    resources,
    outcomeBus,
    sandbox,
    provisionConfig,
    deprovisionConfig,
    runtime,
    provisionPoller,
    deprovisionPoller,
    putGrowerSecret: (suffix, value) =>
      putGrowerSecret(`${resources.growerSecretPrefix}${suffix}`, value),
    enqueueProvision: (message) => send(resources.provisioningQueueUrl, message),
    enqueueDeprovision: (message) => send(resources.deprovisioningQueueUrl, message),
    drain: async ({ idleMs = 800, timeoutMs = 60_000 } = {}) => {
      await Promise.all([
        provisionPoller.runUntilIdle({ idleMs, timeoutMs }),
        deprovisionPoller.runUntilIdle({ idleMs, timeoutMs }),
      ]);
    },
    audit: (leafUserId, provider) => {
      const context: Context = createLambdaContext({
        functionName: `${namePrefix}-audit`,
        timeoutMs: functionTimeoutMs,
      });

      return auditHandler({ leafUserId, provider }, context);
    },
    close: async () => {
      await Promise.all([provisionPoller.stop(), deprovisionPoller.stop()]);
      sqs.destroy();
      await sandbox.close();
      await Promise.all([destroyLocalResources(resources), destroyOutcomeBus(outcomeBus)]);
    },
  };
};
