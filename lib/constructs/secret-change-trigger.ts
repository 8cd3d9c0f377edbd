import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { envNames } from '../../functions/shared/env-names';
import { rotationEvent, secretChangeCalls } from '../../functions/shared/secret-change';
import { ProvisionerFunction } from './provisioner-function';

/** Properties of a {@link SecretChangeTrigger}. */
export interface SecretChangeTriggerProps {
  /** Grower secrets lie under this name prefix; changes to any other secret are not matched. */
  readonly growerSecretPrefix: string;
  /** Where the function enqueues a provisioning request for each changed grower secret. */
  readonly provisioningQueue: IQueue;
  /** Value of `POWERTOOLS_SERVICE_NAME`. */
  readonly serviceName: string;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Whether the function bundles its own AWS SDK.
   * @default true
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * Attempts EventBridge makes to invoke the function before it gives the event to the
   * dead-letter queue.
   * @default 8
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps trying to invoke the function.
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
}

const functionsDir = path.join(__dirname, '..', '..', 'functions');

/**
 * Re-provisions a grower whose secret got a new value. Two rules on the default bus match the
 * CloudTrail records of Secrets Manager, restricted to secrets under the prefix (by name or by
 * ARN): `PutSecretValue` and `UpdateSecret` calls that succeeded, and `RotationSucceeded`. Their
 * function maps the secret's name to its user and provider and enqueues a provisioning request.
 * An event EventBridge cannot deliver, or the function fails on after Lambda's own retries,
 * ends in one dead-letter queue, whose first message raises an alarm.
 *
 * Note: EventBridge receives these CloudTrail records only while a trail logs management events.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/monitoring-eventbridge.html
 */
export class SecretChangeTrigger extends Construct {
  /** Maps a changed secret to a provisioning request. */
  readonly function: ProvisionerFunction;
  /** Events that could not be delivered to the function, or that it failed on. */
  readonly deadLetterQueue: Queue;
  /** The rules that match secret changes. */
  readonly rules: Rule[];
  /** Alarms an operator should hear about. */
  readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: SecretChangeTriggerProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? 8;
    // EventBridge's own limits for a target's retry policy.
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185) {
      throw new Error(
        `${this.node.path}: retryAttempts must be from 0 to 185 (given ${retryAttempts})`,
      );
    }

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.function = new ProvisionerFunction(this, 'Function', {
      entry: path.join(functionsDir, 'secret-changed.ts'),
      description: 'Enqueues a provisioning request when a grower secret gets a new value',
      serviceName: props.serviceName,
      logRetention: props.logRetention,
      bundleAwsSdk: props.bundleAwsSdk,
      timeout: Duration.seconds(10),
      environment: {
        [envNames.provisioningQueueUrl]: props.provisioningQueue.queueUrl,
        [envNames.growerSecretPrefix]: props.growerSecretPrefix,
      },
    });
    const lambdaFunction = this.function.lambdaFunction;
    props.provisioningQueue.grantSendMessages(lambdaFunction);
    // Lambda retries an asynchronous invocation twice, then hands the event to this queue.
    (lambdaFunction.node.defaultChild as CfnFunction).deadLetterConfig = {
      targetArn: this.deadLetterQueue.queueArn,
    };
    this.deadLetterQueue.grantSendMessages(lambdaFunction);

    const byName = Match.prefix(props.growerSecretPrefix);
    const byArn = Match.wildcard(`arn:*:secretsmanager:*:*:secret:${props.growerSecretPrefix}*`);
    const target = new LambdaFunction(lambdaFunction, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts,
      maxEventAge: props.maxEventAge ?? Duration.hours(6),
    });
    this.rules = [
      new Rule(this, 'SecretValueChanged', {
        description: 'A grower secret got a new value through PutSecretValue or UpdateSecret',
        eventPattern: {
          source: ['aws.secretsmanager'],
          detailType: ['AWS API Call via CloudTrail'],
          detail: {
            eventSource: ['secretsmanager.amazonaws.com'],
            eventName: [...secretChangeCalls],
            errorCode: Match.doesNotExist(),
            requestParameters: { secretId: Match.anyOf(byName, byArn) },
          },
        },
        targets: [target],
      }),
      new Rule(this, 'SecretRotated', {
        description: 'A rotation made a new value of a grower secret current',
        eventPattern: {
          source: ['aws.secretsmanager'],
          detailType: ['AWS Service Event via CloudTrail'],
          detail: {
            eventSource: ['secretsmanager.amazonaws.com'],
            eventName: [rotationEvent],
            additionalEventData: { SecretId: byArn },
          },
        },
        targets: [target],
      }),
    ];

    this.alarms = [
      ...this.function.alarms,
      new Alarm(this, 'DeadLetterAlarm', {
        alarmDescription: `${this.node.path} dropped a secret change; inspect it and re-send the request. See README, Runbook: Secret change dead-lettered.`,
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];

    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This is the dead-letter queue itself: an operator inspects the secret changes in it, and ' +
        'its alarm fires on the first one.',
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the rules and of the function; cdk-nag recognises ' +
        'only queues named in another queue’s redrive policy as dead-letter queues.',
    });
  }
}
