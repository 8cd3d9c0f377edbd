import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { envNames } from '../../../functions/shared/env-names';
import {
  QueueConsumerFunction,
  type QueueConsumerFunctionProps,
} from '../../../lib/constructs/queue-consumer-function';
import { QueueConsumerChecks } from '../../../lib/nag-packs';

// Bundling is skipped, so any existing file will do as the entry point.
const newConsumer = (props: Partial<QueueConsumerFunctionProps> = {}) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Stack');
  const consumer = new QueueConsumerFunction(stack, 'Consumer', {
    entry: __filename,
    serviceName: 'test',
    ...props,
  });

  return { app, stack, consumer };
};

describe('QueueConsumerFunction', () => {
  it('derives the visibility timeout from the function timeout and the batching window', () => {
    // GIVEN
    const { stack } = newConsumer({
      timeout: Duration.seconds(20),
      maxBatchingWindow: Duration.seconds(5),
    });

    // WHEN
    const template = Template.fromStack(stack);

    // THEN
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 20 });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 6 * 20 + 5 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MaximumBatchingWindowInSeconds: 5,
    });
  });

  it('applies the house defaults when given only an entry point', () => {
    // GIVEN
    const { stack, consumer } = newConsumer();

    // WHEN
    const template = Template.fromStack(stack);

    // THEN
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 30,
      MemorySize: 256,
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'test',
          [envNames.sourceQueueUrl]: stack.resolve(consumer.queue.queueUrl),
          [envNames.deadLetterQueueUrl]: stack.resolve(consumer.deadLetterQueue.queueUrl),
          [envNames.maxAttempts]: '5',
        },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 180 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    // No AWSLambdaBasicExecutionRole: the role may write only to the function's own log group.
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('throws when the dead-letter queue keeps messages no longer than its source', () => {
    // GIVEN
    const props = {
      retentionPeriod: Duration.days(7),
      deadLetterRetentionPeriod: Duration.days(7),
    };

    // WHEN / THEN
    expect(() => newConsumer(props)).toThrow(
      /deadLetterRetentionPeriod must be longer than retentionPeriod \(given 7 days and 7 days\)/,
    );
  });
});

describe('QueueConsumerChecks', () => {
  it('passes the visibility timeout the construct derives', () => {
    // GIVEN
    const { app } = newConsumer({ timeout: Duration.seconds(60) });

    // WHEN
    const report = new QueueConsumerChecks().validateScope(app);

    // THEN
    expect(report.violations).toEqual([]);
  });

  it('reports a queue whose visibility timeout is below six function timeouts', () => {
    // GIVEN
    const { app, consumer } = newConsumer({ timeout: Duration.seconds(60) });
    (consumer.queue.node.defaultChild as CfnQueue).visibilityTimeout = 300;

    // WHEN
    const report = new QueueConsumerChecks().validateScope(app);

    // THEN
    expect(report.violations.map((v) => v.ruleName)).toEqual([
      'QueueConsumer-LambdaEventSourceSQSVisibilityTimeout',
    ]);
  });
});
