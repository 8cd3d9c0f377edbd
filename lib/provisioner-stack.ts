import * as path from 'node:path';
import { Aws, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { envNames } from '../functions/shared/env-names';
import {
  auditTimeout,
  consumerBatchSize,
  consumerLeafRequestsPerMinute,
  leafRequestLimits,
  type ProvisionerConfig,
  worstLeafTime,
} from './config';
import { AlarmTopic } from './constructs/alarm-topic';
import { OperationsDashboard } from './constructs/operations-dashboard';
import { OutcomeBus } from './constructs/outcome-bus';
import { ProvisionerFunction } from './constructs/provisioner-function';
import { QueueConsumerFunction } from './constructs/queue-consumer-function';
import { ScheduledAudit } from './constructs/scheduled-audit';
import { SecretChangeTrigger } from './constructs/secret-change-trigger';
import { StatusTable } from './constructs/status-table';
import { WebhookReceiver } from './constructs/webhook-receiver';

const serviceName = 'leaf-cnhi-provisioner';
const functionsDir = path.join(__dirname, '..', 'functions');

/** Properties of the {@link ProvisionerStack}. */
export interface ProvisionerStackProps extends StackProps {
  /** The validated configuration; see `parseConfig` in lib/config.ts. */
  readonly config: ProvisionerConfig;
}

/**
 * Everything that attaches growers' CNHI credentials to their Leaf users: the provisioning and
 * deprovisioning queues with their consumers, the audit function, the status table, and the
 * alarms that call an operator.
 */
export class ProvisionerStack extends Stack {
  /** Consumes provisioning requests and gives Leaf the grower's credentials. */
  readonly provision: QueueConsumerFunction;
  /** Consumes deprovisioning requests and removes the credential at Leaf. */
  readonly deprovision: QueueConsumerFunction;
  /** Invoked directly; compares Leaf's credential with the status record. */
  readonly audit: ProvisionerFunction;
  /** Where each Leaf user's credential status and history are kept. */
  readonly statusTable: StatusTable;
  /** The topic every alarm notifies. */
  readonly alarmTopic: AlarmTopic;
  /** The operators' dashboard, and the alarms on the product's own metrics. */
  readonly operations: OperationsDashboard;
  /** Where every request's outcome is published as an event. */
  readonly outcomeBus: OutcomeBus;
  /** Enqueues a provisioning request when a grower secret gets a new value. */
  readonly secretChangeTrigger: SecretChangeTrigger;
  /** Records the statuses Leaf's signed credential webhooks report, behind a function URL. */
  readonly webhookReceiver: WebhookReceiver;
  /** Reads every recorded credential back from Leaf on a schedule and notes drift. */
  readonly scheduledAudit: ScheduledAudit;

  constructor(scope: Construct, id: string, props: ProvisionerStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (auditTimeout.toSeconds() <= worstLeafTime(1).toSeconds()) {
      throw new Error(
        `auditTimeout must exceed ${worstLeafTime(1).toSeconds()} s, one Leaf call with every ` +
          `attempt timing out (given ${auditTimeout.toSeconds()} s)`,
      );
    }

    const ownerSecret = Secret.fromSecretNameV2(
      this,
      'LeafApiOwnerSecret',
      config.leafApiOwnerSecretName,
    );
    this.statusTable = new StatusTable(this, 'StatusTable');

    // Deployment settings the functions share; the house defaults live in the constructs.
    const sharedProps = {
      serviceName,
      logRetention: config.logRetentionDays,
      bundleAwsSdk: config.bundleAwsSdk,
    };
    const leafEnvironment = {
      [envNames.leafApiBaseUrl]: config.leafApiBaseUrl,
      [envNames.leafApiOwnerSecretId]: ownerSecret.secretName,
      [envNames.leafRequestTimeoutMs]: String(leafRequestLimits.timeout.toMilliseconds()),
      [envNames.statusTableName]: this.statusTable.tableName,
    };
    const consumerProps = {
      ...sharedProps,
      timeout: Duration.seconds(config.consumerTimeoutSeconds),
      maxAttempts: config.maxAttempts,
      maxConcurrency: config.maxConcurrency,
      batchSize: consumerBatchSize,
    };
    const consumerEnvironment = {
      ...leafEnvironment,
      [envNames.retryBaseDelaySeconds]: String(config.retryBaseDelaySeconds),
      [envNames.retryMaxDelaySeconds]: String(config.retryMaxDelaySeconds),
      [envNames.recordConcurrency]: String(config.recordConcurrency),
      [envNames.leafRequestsPerMinute]: String(consumerLeafRequestsPerMinute(config)),
    };

    this.provision = new QueueConsumerFunction(this, 'Provision', {
      ...consumerProps,
      entry: path.join(functionsDir, 'provision.ts'),
      description: "Gives Leaf a grower's CNHI credentials, read from the secret a request names",
      environment: {
        ...consumerEnvironment,
        [envNames.growerSecretPrefix]: config.growerSecretPrefix,
      },
    });
    this.deprovision = new QueueConsumerFunction(this, 'Deprovision', {
      ...consumerProps,
      entry: path.join(functionsDir, 'deprovision.ts'),
      description: "Removes a Leaf user's CNHI credential at Leaf",
      environment: consumerEnvironment,
    });
    this.audit = new ProvisionerFunction(this, 'Audit', {
      ...sharedProps,
      entry: path.join(functionsDir, 'audit.ts'),
      description: "Compares a Leaf user's CNHI credential at Leaf with its status record",
      timeout: auditTimeout,
      environment: leafEnvironment,
    });

    for (const fn of [this.provision, this.deprovision, this.audit]) {
      ownerSecret.grantRead(fn.lambdaFunction);
    }
    this.grantGrowerSecrets(this.provision, config.growerSecretPrefix);
    this.statusTable.grantStatusReadWrite(this.provision.lambdaFunction);
    this.statusTable.grantStatusReadWrite(this.deprovision.lambdaFunction);
    this.statusTable.grantStatusRead(this.audit.lambdaFunction);
    this.outcomeBus = new OutcomeBus(this, 'OutcomeBus');
    this.outcomeBus.grantPublish(this.provision.lambdaFunction);
    this.outcomeBus.grantPublish(this.deprovision.lambdaFunction);
    this.secretChangeTrigger = new SecretChangeTrigger(this, 'SecretChangeTrigger', {
      ...sharedProps,
      growerSecretPrefix: config.growerSecretPrefix,
      provisioningQueue: this.provision.queue,
    });
    this.webhookReceiver = new WebhookReceiver(this, 'WebhookReceiver', {
      ...sharedProps,
      statusTable: this.statusTable,
      webhookSecretName: config.webhookSecretName,
      outcomeBus: this.outcomeBus,
    });
    this.scheduledAudit = new ScheduledAudit(this, 'ScheduledAudit', {
      ...sharedProps,
      statusTable: this.statusTable,
      apiOwnerSecret: ownerSecret,
      environment: leafEnvironment,
      schedule: config.auditSchedule,
      requestsPerMinute: config.auditRequestsPerMinute,
      outcomeBus: this.outcomeBus,
    });
    Validations.of(this.audit.lambdaFunction).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Operators invoke the audit synchronously (RequestResponse) and read its answer; nothing ' +
        'invokes it asynchronously, so a function DLQ would never receive an event.',
    });

    const functionAlarms = [
      ...this.provision.alarms,
      ...this.deprovision.alarms,
      ...this.audit.alarms,
      ...this.secretChangeTrigger.alarms,
      ...this.webhookReceiver.alarms,
      ...this.scheduledAudit.alarms,
    ];
    this.operations = new OperationsDashboard(this, 'Operations', {
      serviceName,
      provision: this.provision,
      deprovision: this.deprovision,
      otherFunctions: [
        this.audit,
        this.secretChangeTrigger.function,
        this.webhookReceiver.function,
        this.scheduledAudit.function,
      ],
      alarms: functionAlarms,
    });
    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', { email: config.alarmEmail });
    this.alarmTopic.notifyOn([...functionAlarms, ...this.operations.alarms]);

    this.output('ProvisioningQueueUrl', this.provision.queue.queueUrl);
    this.output('ProvisioningDeadLetterQueueUrl', this.provision.deadLetterQueue.queueUrl);
    this.output('DeprovisioningQueueUrl', this.deprovision.queue.queueUrl);
    this.output('DeprovisioningDeadLetterQueueUrl', this.deprovision.deadLetterQueue.queueUrl);
    this.output('StatusTableName', this.statusTable.tableName);
    this.output('ProvisionFunctionName', this.provision.lambdaFunction.functionName);
    this.output('DeprovisionFunctionName', this.deprovision.lambdaFunction.functionName);
    this.output('AuditFunctionName', this.audit.lambdaFunction.functionName);
    this.output('AlarmTopicArn', this.alarmTopic.topic.topicArn);
    this.output('OutcomeEventBusName', this.outcomeBus.eventBus.eventBusName);
    this.output('OutcomeEventBusArn', this.outcomeBus.eventBus.eventBusArn);
    this.output(
      'SecretChangeDeadLetterQueueUrl',
      this.secretChangeTrigger.deadLetterQueue.queueUrl,
    );
    this.output('WebhookUrl', this.webhookReceiver.functionUrl.url);
    this.output(
      'ScheduledAuditFunctionName',
      this.scheduledAudit.function.lambdaFunction.functionName,
    );
  }

  /** Lets only this function read the secrets under the prefix, and nothing else in the account. */
  private grantGrowerSecrets(fn: ProvisionerFunction, prefix: string): void {
    // Pseudo parameters rather than formatArn, so the resource (and the acknowledgement below,
    // which must match it character for character) does not depend on the stack's environment.
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${prefix}*`,
        ],
      }),
    );
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${prefix}*]`,
      reason:
        'Each request names its own grower secret, so the names are data, not deployment: the ' +
        'wildcard covers only the configured grower prefix, which excludes the API-owner secret.',
    });
  }

  private output(id: string, value: string): void {
    new CfnOutput(this, id, { value });
  }
}
