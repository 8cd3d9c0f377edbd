import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { EventBridgeEvent } from 'aws-lambda';
import type { SecretChangeConfig } from './env';
import { TransientError } from './errors';
import { logger } from './logger';
import type { Provider } from './providers';
import { secretOwner } from './secret-naming';

/** Why a change event asked for no provisioning request; logged, never retried. */
export type SkipReason =
  | 'EVENT_UNRECOGNISED'
  | 'CALL_FAILED'
  | 'NOT_CURRENT_VERSION'
  | 'NO_NEW_VALUE'
  | 'SECRET_OUTSIDE_PREFIX'
  | 'SECRET_NAME_UNMAPPED';

export type SecretChangeResult =
  | {
      readonly enqueued: true;
      readonly messageId: string;
      readonly leafUserId: string;
      readonly provider: Provider;
      readonly secretId: string;
    }
  | { readonly enqueued: false; readonly reason: SkipReason; readonly message: string };

/** The Secrets Manager calls, as CloudTrail reports them, that can give a secret a new value. */
export const secretChangeCalls = ['PutSecretValue', 'UpdateSecret'] as const;
/** The rotation event CloudTrail reports once the new value has become AWSCURRENT. */
export const rotationEvent = 'RotationSucceeded';

type Fields = Record<string, unknown>;

const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' ? (value as Fields)[key] : undefined;
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const idPattern = /^[\w.:/@+=-]{1,128}$/;

type Reading =
  | { readonly secretId: string }
  | { readonly skip: SkipReason; readonly message: string };

/**
 * The secret an event is about, if the event means its current value changed. CloudTrail logs
 * neither the value nor, for UpdateSecret, whether one was given; a new version id in the answer
 * is the sign that it was. PutSecretValue during a rotation stages the value as AWSPENDING only;
 * the RotationSucceeded that follows is the moment it becomes current.
 */
const readEvent = (detail: unknown): Reading => {
  const eventName = text(field(detail, 'eventName'));
  if (field(detail, 'errorCode') !== undefined) {
    return { skip: 'CALL_FAILED', message: `${eventName} failed; the value did not change` };
  }
  if (eventName === rotationEvent) {
    const secretId = text(field(field(detail, 'additionalEventData'), 'SecretId'));

    return secretId ? { secretId } : { skip: 'EVENT_UNRECOGNISED', message: 'no SecretId' };
  }
  if (!(secretChangeCalls as readonly string[]).includes(eventName ?? '')) {
    return { skip: 'EVENT_UNRECOGNISED', message: `event ${eventName ?? '(none)'} is not handled` };
  }
  const request = field(detail, 'requestParameters');
  const response = field(detail, 'responseElements');
  const stages = field(request, 'versionStages');
  if (Array.isArray(stages) && !stages.includes('AWSCURRENT')) {
    return { skip: 'NOT_CURRENT_VERSION', message: 'the new version is not AWSCURRENT' };
  }
  if (eventName === 'UpdateSecret' && response && !text(field(response, 'versionId'))) {
    return { skip: 'NO_NEW_VALUE', message: 'UpdateSecret changed only metadata' };
  }
  // Events before February 2024 spelled the ARN key `aRN`.
  const secretId =
    text(field(request, 'secretId')) ??
    text(field(response, 'arn')) ??
    text(field(response, 'aRN'));

  return secretId ? { secretId } : { skip: 'EVENT_UNRECOGNISED', message: 'no secretId' };
};

// Failed calls and staged or metadata-only changes are routine; the rest means a misnamed secret
// or an event this code does not know, which someone should look at.
const routine: ReadonlySet<SkipReason> = new Set([
  'CALL_FAILED',
  'NOT_CURRENT_VERSION',
  'NO_NEW_VALUE',
]);

const skipped = (reason: SkipReason, message: string): SecretChangeResult => {
  if (routine.has(reason)) {
    logger.info('secret change skipped', { reason, message });
  } else {
    logger.warn('secret change skipped', { reason, message });
  }

  return { enqueued: false, reason, message };
};

/**
 * Turns a Secrets Manager change event into a provisioning request for the secret's user and
 * provider. The request is dated by the event, so a change older than a request already applied
 * (a deprovisioning, say) is skipped as stale rather than undoing it, and it carries the event id
 * as its correlation id. An event that cannot be mapped is logged with its reason and dropped: a
 * retry would not change the secret's name. Only a failure to enqueue throws, to be retried.
 */
export const createSecretChangedHandler =
  (config: SecretChangeConfig, sqs: SQSClient = new SQSClient({})) =>
  async (event: EventBridgeEvent<string, unknown>): Promise<SecretChangeResult> => {
    const reading = readEvent(event.detail);
    if ('skip' in reading) {
      return skipped(reading.skip, reading.message);
    }
    const owner = secretOwner(reading.secretId, config.growerSecretPrefix);
    if (!owner.ok) {
      return skipped(owner.reason, owner.message);
    }
    const time = Date.parse(event.time);
    const body = {
      leafUserId: owner.leafUserId,
      provider: owner.provider,
      secretId: owner.secretName,
      requestedAt: new Date(Number.isNaN(time) ? Date.now() : time).toISOString(),
      correlationId: idPattern.test(event.id ?? '') ? event.id : undefined,
    };

    let messageId: string;
    try {
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: config.provisioningQueueUrl,
          MessageBody: JSON.stringify(body),
        }),
      );
      messageId = sent.MessageId ?? '';
    } catch (error) {
      const kind = error instanceof Error ? error.name : typeof error;
      throw new TransientError('AWS_UNAVAILABLE', `provisioning queue send failed (${kind})`);
    }
    logger.info('provisioning request enqueued for a changed secret', {
      leafUserId: owner.leafUserId,
      provider: owner.provider,
      correlationId: body.correlationId,
      queuedMessageId: messageId,
    });

    return { enqueued: true, messageId, ...owner, secretId: owner.secretName };
  };
