import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSEvent } from 'aws-lambda';
import pLimit from 'p-limit';
import { createDeprovisionHandler } from '../../functions/shared/deprovisioning';
import { createProvisionHandler } from '../../functions/shared/provisioning';
import { createLambdaContext } from '../../local/lambda-context';
import type { LocalEnvironment } from '../../local/local-environment';
import { sqsRecord } from '../../test/fixtures/sqs-record';
import { type CanaryCredentials, canaryCredentials } from '../../test/helpers/grower-secrets';
import type { ChaosOptions } from './options';
import type { Progress } from './progress';
import type { Random } from './random';
import { type SecretBook, type SentMessage, secretKey } from './verify';
import type { PlannedRequest, PlannedSend, Provider, SecretVersion, Workload } from './workload';

/** Grower secrets stored and where: the book of values, and each secret's name. */
export interface Growers {
  readonly secrets: SecretBook;
  readonly secretName: (request: PlannedRequest) => string;
}

// FieldOps' v1 leaves clientEnvironment out, so Leaf's default (STAGE) has to be matched.
const secretValue = (provider: Provider, version: SecretVersion): CanaryCredentials => {
  if (provider === 'cnhi') {
    return canaryCredentials(version === 'v1' ? 'PRODUCTION' : 'STAGE');
  }
  const { clientEnvironment, ...rest } = canaryCredentials('PRODUCTION');

  return version === 'v1' ? rest : { ...rest, clientEnvironment };
};

/** Registers the Leaf users and stores two canary secrets per (user, provider). */
export const seedGrowers = async (env: LocalEnvironment, workload: Workload): Promise<Growers> => {
  for (const user of workload.users) {
    env.sandbox.addUser(user);
  }
  const suffix = (key: string, version: SecretVersion) => `${key.replace('#', '/')}/${version}`;
  const secrets = new Map<string, CanaryCredentials>();
  const limit = pLimit(8);
  await Promise.all(
    workload.keys.flatMap((plan) =>
      (['v1', 'v2'] as const).map((version) =>
        limit(async () => {
          const value = secretValue(plan.provider, version);
          await env.putGrowerSecret(suffix(plan.key, version), value);
          secrets.set(secretKey(plan.key, version), value);
        }),
      ),
    ),
  );

  return {
    secrets,
    secretName: (request) =>
      `${env.resources.growerSecretPrefix}${suffix(request.key, request.secretVersion ?? 'v1')}`,
  };
};

const messageBody = (request: PlannedRequest, growers: Growers) => ({
  leafUserId: request.leafUserId,
  ...(request.namesProvider ? { provider: request.provider } : {}),
  ...(request.requestedAt === undefined ? {} : { requestedAt: request.requestedAt }),
  ...(request.operation === 'PROVISION' ? { secretId: growers.secretName(request) } : {}),
  correlationId: `chaos-${request.id}`,
});

/** Hands messages straight to handlers of their own, like a second Lambda instance would. */
export interface DirectDelivery {
  deliver(messages: readonly SentMessage[], receiveCount: number): Promise<number>;
}

export const directDelivery = (env: LocalEnvironment, options: ChaosOptions, growers: Growers) => {
  const provision = createProvisionHandler(env.provisionConfig);
  const deprovision = createDeprovisionHandler(env.deprovisionConfig);

  return {
    /** Resolves to the number of records the handler reported as failed. */
    deliver: async (messages: readonly SentMessage[], receiveCount: number) => {
      let failed = 0;
      for (const operation of ['PROVISION', 'DEPROVISION'] as const) {
        const mine = messages.filter((m) => m.send.request.operation === operation);
        if (mine.length === 0) {
          continue;
        }
        const event: SQSEvent = {
          Records: mine.map((message) =>
            sqsRecord(messageBody(message.send.request, growers), {
              messageId: message.messageId,
              eventSourceARN:
                operation === 'PROVISION'
                  ? env.resources.provisioningQueueArn
                  : env.resources.deprovisioningQueueArn,
              attributes: {
                ApproximateReceiveCount: String(receiveCount),
                SentTimestamp: String(message.sentAfter),
              },
            }),
          ),
        };
        const handler = operation === 'PROVISION' ? provision : deprovision;
        const context = createLambdaContext({
          functionName: `chaos-direct-${operation.toLowerCase()}`,
          timeoutMs: options.functionTimeoutMs,
        });
        failed += (await handler(event, context)).batchItemFailures.length;
      }

      return failed;
    },
  };
};

/**
 * Sends the workload's messages in its order at the configured pace, makes the Leaf token expire
 * at evenly spaced moments, and hands the messages marked for it to a second handler a little
 * after sending them, so some deliveries of one message overlap and some come after it ended.
 */
export const sendWorkload = async (
  env: LocalEnvironment,
  workload: Workload,
  growers: Growers,
  options: ChaosOptions,
  direct: DirectDelivery,
  random: Random,
  progress: Progress,
  onSent: (count: number) => void = () => undefined,
): Promise<{ sent: SentMessage[]; redeliveries: number }> => {
  const sends = workload.sends;
  const expiries = new Set(
    Array.from({ length: options.tokenExpiries }, (_, i) =>
      Math.floor(((i + 1) * sends.length) / (options.tokenExpiries + 1)),
    ),
  );
  const sent: SentMessage[] = [];
  const redeliveries: Promise<number>[] = [];
  const intervalMs = 1000 / options.sendRate;
  const start = Date.now();

  const enqueue = (send: PlannedSend) => {
    const body = messageBody(send.request, growers);

    return send.request.operation === 'PROVISION'
      ? env.enqueueProvision(body)
      : env.enqueueDeprovision(body);
  };

  for (const [i, send] of sends.entries()) {
    const wait = start + i * intervalMs - Date.now();
    if (wait > 0) {
      await sleep(wait);
    }
    if (expiries.has(i)) {
      env.sandbox.expireTokens();
      progress.line(`Leaf tokens expired after ${i} messages`);
    }
    const sentAfter = Date.now();
    const messageId = await enqueue(send);
    const message = { messageId, send, sentAfter, sentBefore: Date.now() };
    sent.push(message);
    onSent(sent.length);
    if (send.redeliver) {
      const delayMs = random.int(0, 3_000);
      redeliveries.push(sleep(delayMs).then(() => direct.deliver([message], 2)));
    }
  }
  await Promise.all(redeliveries);

  return { sent, redeliveries: redeliveries.length };
};

/**
 * Delivers again, as one batch per queue, the messages that last changed each of up to ten keys,
 * as Lambda does when an invocation timed out after its work was done. Resolves to the Leaf writes
 * this caused, which should be none. Call with faults cleared.
 */
export const replayCompleted = async (
  env: LocalEnvironment,
  workload: Workload,
  sent: readonly SentMessage[],
  direct: DirectDelivery,
): Promise<{ replayed: number; writes: number }> => {
  const byId = new Map(sent.map((message) => [message.messageId, message]));
  const limit = pLimit(8);
  const records = await Promise.all(
    workload.keys.map((plan) => limit(() => env.runtime.store.get(plan.leafUserId, plan.provider))),
  );
  const done = records
    .filter((record) => record?.state === 'PROVISIONED' || record?.state === 'REMOVED')
    .map((record) => byId.get(record?.lastMessageId ?? ''))
    .filter(
      (message): message is SentMessage =>
        message !== undefined && message.send.request.requestedAt !== undefined,
    );
  const batch = [
    ...done.filter((m) => m.send.request.operation === 'PROVISION').slice(0, 5),
    ...done.filter((m) => m.send.request.operation === 'DEPROVISION').slice(0, 5),
  ];
  const before = env.sandbox.stats().writes;
  await direct.deliver(batch, 2);
  const after = env.sandbox.stats().writes;

  return {
    replayed: batch.length,
    writes: after.post - before.post + after.delete - before.delete,
  };
};
