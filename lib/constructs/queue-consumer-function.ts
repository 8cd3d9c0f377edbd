import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { envNames } from '../../functions/shared/env-names';
import { ProvisionerFunction, type ProvisionerFunctionProps } from './provisioner-function';

/** Properties of a {@link QueueConsumerFunction}. */
export interface QueueConsumerFunctionProps extends ProvisionerFunctionProps {
  /**
   * Deliveries of one message before SQS moves it to the dead-letter queue; the function reads
   * the same number from `MAX_ATTEMPTS`.
   * @default 5
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
   */
  readonly maxAttempts?: number;
  /**
   * Concurrent invocations the event source may start, from 2 to 1000.
   * @default 5
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html#events-sqs-max-concurrency
   */
  readonly maxConcurrency?: number;
  /**
   * Records per invocation, from 1 to 10 without a batching window.
   * @default 10
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
   */
  readonly batchSize?: number;
  /**
   * How long the event source may wait to fill a batch.
   * @default - no wait
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * How long the source queue keeps a message.
   * @default Duration.days(4)
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
   */
  readonly retentionPeriod?: Duration;
  /**
   * How long the dead-letter queue keeps a message; must be longer than `retentionPeriod`.
   * @default Duration.days(14)
   */
  readonly deadLetterRetentionPeriod?: Duration;
  /**
   * Age of the oldest message in the source queue that raises an alarm.
   * @default Duration.hours(1)
   */
  readonly maxMessageAge?: Duration;
}

/**
 * A {@link ProvisionerFunction} fed by its own SQS queue. The construct owns the queue and its
 * dead-letter queue, derives the visibility timeout from the function timeout, reports partial
 * batch failures, and lets the function delay a message (ChangeMessageVisibility) or move it to
 * the dead-letter queue at once (SendMessage).
 */
export class QueueConsumerFunction extends ProvisionerFunction {
  /**
   * Function timeouts the visibility timeout spans, so a message is not delivered again while the
   * poller still retries a throttled invocation.
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-queueconfig
   */
  static readonly visibilityTimeoutFactor = 6;

  /** The queue the function consumes. */
  readonly queue: Queue;
  /** Where SQS moves a message after `maxAttempts` deliveries, and the function moves it sooner. */
  readonly deadLetterQueue: Queue;
  /** Deliveries of one message before it is dead-lettered. */
  readonly maxAttempts: number;

  constructor(scope: Construct, id: string, props: QueueConsumerFunctionProps) {
    super(scope, id, props);
    this.maxAttempts = props.maxAttempts ?? 5;
    const retentionPeriod = props.retentionPeriod ?? Duration.days(4);
    const deadLetterRetentionPeriod = props.deadLetterRetentionPeriod ?? Duration.days(14);
    // SQS keeps a dead-lettered message's first enqueue time, so a DLQ that keeps messages no
    // longer than its source would drop some as soon as they arrive.
    if (deadLetterRetentionPeriod.toSeconds() <= retentionPeriod.toSeconds()) {
      throw new Error(
        `${this.node.path}: deadLetterRetentionPeriod must be longer than retentionPeriod ` +
          `(given ${deadLetterRetentionPeriod.toHumanString()} and ${retentionPeriod.toHumanString()})`,
      );
    }
    const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(0);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: deadLetterRetentionPeriod,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod,
      visibilityTimeout: Duration.seconds(
        this.timeout.toSeconds() * QueueConsumerFunction.visibilityTimeoutFactor +
          maxBatchingWindow.toSeconds(),
      ),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxAttempts },
    });

    const eventSource = new SqsEventSource(this.queue, {
      batchSize: props.batchSize ?? 10,
      maxBatchingWindow: props.maxBatchingWindow,
      maxConcurrency: props.maxConcurrency ?? 5,
      reportBatchItemFailures: true,
    });
    this.lambdaFunction.addEventSource(eventSource);
    // The event source's consume grant includes this action today; the retry delays depend on
    // it, so it is granted here in its own right.
    this.queue.grant(this.lambdaFunction, 'sqs:ChangeMessageVisibility');
    this.deadLetterQueue.grant(this.lambdaFunction, 'sqs:SendMessage');
    this.lambdaFunction.addEnvironment(envNames.sourceQueueUrl, this.queue.queueUrl);
    this.lambdaFunction.addEnvironment(envNames.deadLetterQueueUrl, this.deadLetterQueue.queueUrl);
    this.lambdaFunction.addEnvironment(envNames.maxAttempts, String(this.maxAttempts));

    this.alarms.push(
      new Alarm(this, 'DeadLetterAlarm', {
        alarmDescription: `${this.node.path} dead-lettered a message; inspect it, then redrive it. See README, Runbook: Dead-letter queue not empty.`,
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'OldestMessageAlarm', {
        alarmDescription: `${this.node.path} is falling behind: a message has waited too long. See README, Runbook: Oldest message too old.`,
        metric: this.queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        threshold: (props.maxMessageAge ?? Duration.hours(1)).toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );

    Validations.of(this.lambdaFunction).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'The SQS event source invokes the function synchronously; a function DLQ only catches ' +
        "asynchronous invocations. Failed messages go to the source queue's own dead-letter queue.",
    });
    Validations.of(this.lambdaFunction).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'SQS event sources take no DestinationConfig (only streams and Kafka do); the redrive ' +
        'policy moves a failed message to the dead-letter queue instead: ' +
        'https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html',
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This is the dead-letter queue itself: an operator inspects its messages and redrives them ' +
        'to the source queue, and its alarm fires on the first one.',
    });
  }
}
