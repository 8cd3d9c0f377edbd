import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { AlarmBase } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** Properties of an {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /**
   * Address subscribed to the topic by e-mail; it must confirm the subscription.
   * @default - no subscription
   */
  readonly email?: string;
}

/**
 * The SNS topic every alarm notifies, encrypted with a key of its own and reachable only over
 * TLS. An AWS managed key will not do: CloudWatch may not use `alias/aws/sns` to publish.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-encryption
 */
export class AlarmTopic extends Construct {
  /** The topic. */
  readonly topic: Topic;
  /** The key that encrypts the topic's messages at rest. */
  readonly key: Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);

    this.key = new Key(this, 'Key', {
      description: `Encrypts the alarm notifications of ${Stack.of(this).stackName}`,
      enableKeyRotation: true,
      // The key protects only notifications in flight, which die with the topic.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: `${Stack.of(this).stackName} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });

    if (props.email) {
      this.topic.addSubscription(new EmailSubscription(props.email));
      Validations.of(this.topic).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'The only subscription is an e-mail address for alarms. A lost e-mail leaves the alarm ' +
          'in ALARM state on the CloudWatch console, and a dead-letter queue for notifications ' +
          'would itself need an alarm.',
      });
    }
  }

  /** Sends the alarms' transitions into and out of ALARM to the topic. */
  notifyOn(alarms: readonly AlarmBase[]): void {
    const action = new SnsAction(this.topic);
    for (const alarm of alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
