import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { type FunctionUrl, FunctionUrlAuthType, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { envNames } from '../../functions/shared/env-names';
import {
  metricDimensions,
  metricNames,
  metricNamespace,
} from '../../functions/shared/metric-names';
import type { OutcomeBus } from './outcome-bus';
import { ProvisionerFunction } from './provisioner-function';
import type { StatusTable } from './status-table';

/** Properties of a {@link WebhookReceiver}. */
export interface WebhookReceiverProps {
  /** Value of `POWERTOOLS_SERVICE_NAME`, which also names the metrics' `service` dimension. */
  readonly serviceName: string;
  /** Where credential ids are looked up and Leaf's statuses recorded. */
  readonly statusTable: StatusTable;
  /** Name of the secret whose `SecretString` is the key Leaf signs calls with. */
  readonly webhookSecretName: string;
  /**
   * Where each recorded event is published as `DriftFound`.
   * @default - no events
   */
  readonly outcomeBus?: OutcomeBus;
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
}

const functionsDir = path.join(__dirname, '..', '..', 'functions');

/**
 * Receives Leaf's credential webhooks at a Lambda function URL. The URL takes no IAM
 * authentication, since Leaf cannot sign AWS requests: the function itself refuses every call
 * whose `X-Leaf-Signature` is not the HMAC of its body under the webhook secret, before reading
 * the body. The function may read that one secret and the status table, and nothing else.
 * @see https://docs.withleaf.io/alerts/authentication
 */
export class WebhookReceiver extends Construct {
  /** The function behind the URL. */
  readonly function: ProvisionerFunction;
  /** The URL to register with Leaf (`leaf-cnhi webhook register --url`). */
  readonly functionUrl: FunctionUrl;
  /** Alarms an operator should hear about. */
  readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: WebhookReceiverProps) {
    super(scope, id);
    const secret = Secret.fromSecretNameV2(this, 'WebhookSecret', props.webhookSecretName);

    this.function = new ProvisionerFunction(this, 'Function', {
      entry: path.join(functionsDir, 'webhook.ts'),
      description: "Records the credential statuses Leaf's signed webhooks report",
      serviceName: props.serviceName,
      logRetention: props.logRetention,
      bundleAwsSdk: props.bundleAwsSdk,
      // A signature check, one index query and one transaction.
      timeout: Duration.seconds(10),
      environment: {
        [envNames.statusTableName]: props.statusTable.tableName,
        [envNames.webhookSecretId]: secret.secretName,
      },
    });
    const lambdaFunction = this.function.lambdaFunction;
    secret.grantRead(lambdaFunction);
    props.statusTable.grantStatusReadWrite(lambdaFunction);
    props.outcomeBus?.grantPublish(lambdaFunction);
    this.functionUrl = lambdaFunction.addFunctionUrl({
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.BUFFERED,
    });

    this.alarms = [
      ...this.function.alarms,
      // The function answers 5xx instead of failing, so its error alarm cannot see these.
      new Alarm(this, 'FailedCallsAlarm', {
        alarmDescription: `${this.node.path} could not record a Leaf webhook call; Leaf retries it for about 5.5 hours. See README, Runbook: Webhook calls failing.`,
        metric: new Metric({
          namespace: metricNamespace,
          metricName: metricNames.webhookCalls,
          dimensionsMap: {
            [metricDimensions.service]: props.serviceName,
            [metricDimensions.result]: 'failed',
          },
          statistic: 'Sum',
          period: Duration.minutes(5),
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];

    const signedByLeaf =
      'Leaf calls this URL and cannot sign AWS requests, so the URL takes no IAM auth; the ' +
      'function answers 401, before reading the body, to every call whose X-Leaf-Signature is ' +
      'not the HMAC-SHA256 of the body under the webhook secret: ' +
      'https://docs.withleaf.io/alerts/authentication';
    Validations.of(this).acknowledge({
      id: 'FunctionUrl-LambdaFunctionUrlAuth',
      reason: signedByLeaf,
    });
    Validations.of(this).acknowledge({
      id: 'FunctionUrl-LambdaFunctionPublicAccessProhibited',
      reason: signedByLeaf,
    });
    Validations.of(lambdaFunction).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Leaf calls the function URL synchronously and retries a call that gets no 2xx after 1, ' +
        '30, 60 and 240 minutes; nothing invokes the function asynchronously.',
    });
  }
}
