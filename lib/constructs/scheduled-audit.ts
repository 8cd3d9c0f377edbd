import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
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

/** Properties of a {@link ScheduledAudit}. */
export interface ScheduledAuditProps {
  /** Value of `POWERTOOLS_SERVICE_NAME`, which also names the metrics' `service` dimension. */
  readonly serviceName: string;
  /** The records to audit; the audit notes its results in them. */
  readonly statusTable: StatusTable;
  /** Leaf's API-owner secret; the audit reads it to authenticate. */
  readonly apiOwnerSecret: ISecret;
  /** The Leaf settings every function that calls Leaf gets (base URL, owner secret, timeout, table). */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * An EventBridge schedule expression, validated by lib/config.ts.
   * @default 'rate(1 day)'
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
   */
  readonly schedule?: string;
  /**
   * Leaf requests a minute, shared by all of the audit's reads.
   * @default 200
   */
  readonly requestsPerMinute?: number;
  /**
   * Leaf reads in flight at once.
   * @default 4
   */
  readonly concurrency?: number;
  /**
   * Where a record that newly differs from Leaf is published as `DriftFound`.
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
 * Reads every recorded credential back from Leaf on a schedule and notes in each record Leaf's
 * status and any drift. A run lasts at most Lambda's 15 minutes and takes the least recently
 * audited records first, so one cut short is continued by the next. Alarms fire while the last
 * run found a credential Leaf reports unhealthy, or a record that differs from Leaf.
 */
export class ScheduledAudit extends Construct {
  /** The audit function. */
  readonly function: ProvisionerFunction;
  /** The schedule that invokes it. */
  readonly rule: Rule;
  /** Alarms an operator should hear about. */
  readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: ScheduledAuditProps) {
    super(scope, id);
    const requestsPerMinute = props.requestsPerMinute ?? 200;
    const concurrency = props.concurrency ?? 4;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 50) {
      throw new Error(`${this.node.path}: concurrency must be from 1 to 50 (given ${concurrency})`);
    }

    this.function = new ProvisionerFunction(this, 'Function', {
      entry: path.join(functionsDir, 'scheduled-audit.ts'),
      description: 'Reads every recorded credential back from Leaf and notes drift',
      serviceName: props.serviceName,
      logRetention: props.logRetention,
      bundleAwsSdk: props.bundleAwsSdk,
      timeout: Duration.minutes(15),
      // Every current record is held in memory to sort it by when it was last audited.
      memorySize: 512,
      environment: {
        ...props.environment,
        [envNames.auditRequestsPerMinute]: String(requestsPerMinute),
        [envNames.auditConcurrency]: String(concurrency),
      },
    });
    const lambdaFunction = this.function.lambdaFunction;
    props.apiOwnerSecret.grantRead(lambdaFunction);
    props.statusTable.grantStatusAudit(lambdaFunction);
    props.outcomeBus?.grantPublish(lambdaFunction);
    this.rule = new Rule(this, 'Schedule', {
      description: 'Starts the scheduled audit of every recorded Leaf credential',
      schedule: Schedule.expression(props.schedule ?? 'rate(1 day)'),
      // Lambda's own two retries of a failed run continue where it stopped: a run takes the
      // records least recently audited first.
      targets: [new LambdaFunction(lambdaFunction, { retryAttempts: 2 })],
    });
    const emptyEvents =
      'The schedule’s events carry nothing: a run that fails or is never delivered is repeated ' +
      'by the next one, and the error alarm calls an operator, so a dead-letter queue would ' +
      'only collect empty events that no one would redrive.';
    Validations.of(lambdaFunction).acknowledge({ id: 'Serverless-LambdaDLQ', reason: emptyEvents });
    Validations.of(this.rule).acknowledge({ id: 'Serverless-EventBusDLQ', reason: emptyEvents });

    const lastRun = (metricName: string) =>
      new Metric({
        namespace: metricNamespace,
        metricName,
        dimensionsMap: { [metricDimensions.service]: props.serviceName },
        statistic: 'Maximum',
        period: Duration.hours(1),
      });
    // A run writes each count once. Hours without a run keep the alarm where the last run left
    // it, so it stays in ALARM until a run finds nothing wrong.
    const whileLastRunFound = (
      alarmId: string,
      metricName: string,
      what: string,
      runbookSection: string,
    ) =>
      new Alarm(this, alarmId, {
        alarmDescription: `The last scheduled audit found ${what}; see its log, or run leaf-cnhi audit --all. See README, Runbook: ${runbookSection}.`,
        metric: lastRun(metricName),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.IGNORE,
      });
    this.alarms = [
      ...this.function.alarms,
      whileLastRunFound(
        'UnhealthyCredentialsAlarm',
        metricNames.unhealthyCredentials,
        'credentials Leaf reports with a status other than OK',
        'Credentials unhealthy at Leaf',
      ),
      whileLastRunFound(
        'DriftAlarm',
        metricNames.driftedCredentials,
        'records that differ from what Leaf holds',
        'Records drifted from Leaf',
      ),
    ];
  }
}
