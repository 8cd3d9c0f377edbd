import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  MathExpression,
  Metric,
  SearchExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import {
  leafAuthReasons,
  metricDimensions,
  metricNames,
  metricNamespace,
} from '../../functions/shared/metric-names';
import type { Operation } from '../../functions/shared/requests';
import type { ProvisionerFunction } from './provisioner-function';
import type { QueueConsumerFunction } from './queue-consumer-function';

/** Properties of an {@link OperationsDashboard}. */
export interface OperationsDashboardProps {
  /** Value of the `service` dimension: the functions' `POWERTOOLS_SERVICE_NAME`. */
  readonly serviceName: string;
  /** The provisioning consumer; its metrics carry the operation PROVISION. */
  readonly provision: QueueConsumerFunction;
  /** The deprovisioning consumer; its metrics carry the operation DEPROVISION. */
  readonly deprovision: QueueConsumerFunction;
  /**
   * Further functions whose concurrency and throttles are charted beside the consumers'.
   * @default - none
   */
  readonly otherFunctions?: readonly ProvisionerFunction[];
  /**
   * Alarms defined elsewhere, shown with this construct's own in the alarm status widget.
   * @default - none
   */
  readonly alarms?: readonly IAlarm[];
  /**
   * Name of the dashboard.
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
  /**
   * Percentage of a consumer's record deliveries that ended FAILED which raises its error-rate
   * alarm, from above 0 to 100.
   * @default 10
   */
  readonly errorRateThresholdPercent?: number;
  /**
   * Fewest record deliveries in a period for the error rate to count; below it one bad message
   * would make a rate of 100 %, and the dead-letter alarm already reports it.
   * @default 10
   */
  readonly errorRateMinimumRequests?: number;
}

// One period for graphs and alarms, so a graph shows the very datapoints an alarm judged.
const period = Duration.minutes(5);
const operations = ['PROVISION', 'DEPROVISION'] as const satisfies readonly Operation[];

const runbook = (section: string) => `See README, Runbook: ${section}.`;

/**
 * The operators' CloudWatch dashboard and the alarms on the product's own metrics: Leaf
 * authentication failing, and each consumer's error rate. The stack routes {@link alarms} to its
 * topic. Metric names and dimensions come from functions/shared/metric-names.ts.
 */
export class OperationsDashboard extends Construct {
  /** The dashboard. */
  readonly dashboard: Dashboard;
  /** Fires when Leaf refuses the API-owner account or its secret cannot be used. */
  readonly leafAuthAlarm: Alarm;
  /** Fires when too many of a consumer's deliveries fail, by operation. */
  readonly errorRateAlarms: Readonly<Record<(typeof operations)[number], Alarm>>;
  /** This construct's alarms, for the stack to route to its topic. */
  readonly alarms: Alarm[];

  readonly #serviceName: string;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const threshold = props.errorRateThresholdPercent ?? 10;
    const minimum = props.errorRateMinimumRequests ?? 10;
    if (!(threshold > 0 && threshold <= 100)) {
      throw new Error(
        `${this.node.path}: errorRateThresholdPercent must be above 0 and at most 100 (given ${threshold})`,
      );
    }
    if (!Number.isInteger(minimum) || minimum < 1) {
      throw new Error(
        `${this.node.path}: errorRateMinimumRequests must be a positive integer (given ${minimum})`,
      );
    }
    this.#serviceName = props.serviceName;
    const consumers = { PROVISION: props.provision, DEPROVISION: props.deprovision };

    this.leafAuthAlarm = new Alarm(this, 'LeafAuthFailingAlarm', {
      alarmDescription:
        'Leaf refused the API-owner account, or its secret is missing or malformed: every request ' +
        `fails until it is fixed. ${runbook('Leaf authentication failing')}`,
      metric: this.#leafAuthFailures(),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.errorRateAlarms = {
      PROVISION: this.#errorRateAlarm('ProvisionErrorRateAlarm', 'PROVISION', threshold, minimum),
      DEPROVISION: this.#errorRateAlarm(
        'DeprovisionErrorRateAlarm',
        'DEPROVISION',
        threshold,
        minimum,
      ),
    };
    this.alarms = [this.leafAuthAlarm, ...Object.values(this.errorRateAlarms)];

    const functions = [...Object.values(consumers), ...(props.otherFunctions ?? [])];
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new AlarmStatusWidget({
        title: 'Alarms (see README, Runbook)',
        alarms: [...(props.alarms ?? []), ...this.alarms],
        width: 24,
        height: 3,
      }),
    );
    this.dashboard.addWidgets(
      this.#graph('Throughput: credentials provisioned and removed', [
        this.#metric(metricNames.credentialsProvisioned, { operation: 'PROVISION' }, 'provisioned'),
        this.#metric(metricNames.credentialsRemoved, { operation: 'DEPROVISION' }, 'removed'),
        ...operations.map((op) =>
          this.#metric(metricNames.requestsFailed, { operation: op }, `failed ${op}`),
        ),
        ...operations.map((op) =>
          this.#metric(metricNames.requestsSkippedStale, { operation: op }, `stale ${op}`),
        ),
        ...operations.map((op) =>
          this.#metric(metricNames.duplicatesSkipped, { operation: op }, `duplicate ${op}`),
        ),
      ]),
      this.#graph('Failures by reason', [this.#byReason(metricNames.requestsFailed)]),
      this.#graph('Retries by reason', [this.#byReason(metricNames.requestsRetried)]),
    );
    this.dashboard.addWidgets(
      this.#graph(
        'Queue depth',
        Object.entries(consumers).flatMap(([op, consumer]) => [
          consumer.queue.metricApproximateNumberOfMessagesVisible({
            statistic: Stats.MAXIMUM,
            period,
            label: `${op} waiting`,
          }),
          consumer.queue.metricApproximateNumberOfMessagesNotVisible({
            statistic: Stats.MAXIMUM,
            period,
            label: `${op} in flight or delayed`,
          }),
        ]),
      ),
      this.#graph(
        'Age of oldest message (s)',
        Object.entries(consumers).map(([op, consumer]) =>
          consumer.queue.metricApproximateAgeOfOldestMessage({
            statistic: Stats.MAXIMUM,
            period,
            label: op,
          }),
        ),
      ),
      this.#graph(
        'Dead-letter queue depth',
        Object.entries(consumers).map(([op, consumer]) =>
          consumer.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            statistic: Stats.MAXIMUM,
            period,
            label: op,
          }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      this.#graph(
        'Leaf latency p50 and p99 (ms)',
        ['GET', 'POST', 'DELETE', 'AUTHENTICATE'].flatMap((method) =>
          [Stats.p(50), Stats.p(99)].map((statistic) =>
            this.#metric(metricNames.leafLatency, { method }, `${method} ${statistic}`, statistic),
          ),
        ),
      ),
      this.#graph('Leaf responses by status', [
        this.#search(metricNames.leafResponses, ['method', 'status'], 'Sum'),
      ]),
      this.#graph('Token renewals and cold starts', [
        this.#metric(metricNames.leafTokenRenewals, {}, 'token renewals'),
        ...[...operations, 'AUDIT'].map((op) =>
          this.#metric(metricNames.coldStart, { operation: op }, `cold starts ${op}`),
        ),
      ]),
    );
    this.dashboard.addWidgets(
      this.#graph(
        'Concurrency',
        functions.map((fn) =>
          fn.lambdaFunction.metric('ConcurrentExecutions', {
            statistic: Stats.MAXIMUM,
            period,
            label: fn.node.id,
          }),
        ),
      ),
      this.#graph(
        'Throttles',
        functions.map((fn) =>
          fn.lambdaFunction.metricThrottles({ statistic: Stats.SUM, period, label: fn.node.id }),
        ),
      ),
      this.#graph(
        'Error rate (% of deliveries failed)',
        operations.map((op) => this.errorRateAlarms[op].metric),
      ),
    );
  }

  #metric(
    metricName: string,
    dimensions: Record<string, string>,
    label: string,
    statistic = 'Sum',
  ) {
    return new Metric({
      namespace: metricNamespace,
      metricName,
      dimensionsMap: { [metricDimensions.service]: this.#serviceName, ...dimensions },
      statistic,
      period,
      label,
    });
  }

  /** Every series of a metric over the given dimensions, whatever values appear. */
  #search(metricName: string, dimensions: readonly string[], statistic: string) {
    const schema = [metricNamespace, metricDimensions.service, ...dimensions].join(',');
    const label = dimensions.map((name) => `\${PROP('Dim.${name}')}`).join(' ');

    return new SearchExpression({
      expression:
        `SEARCH('{${schema}} MetricName="${metricName}" ` +
        `${metricDimensions.service}="${this.#serviceName}"', '${statistic}', ${period.toSeconds()})`,
      label,
      period,
    });
  }

  // By search, so a reason code added to errors.ts shows up without a change here.
  #byReason(metricName: string) {
    return this.#search(
      metricName,
      [metricDimensions.operation, metricDimensions.reasonCode],
      'Sum',
    );
  }

  /** Failures whose reason means Leaf or the API-owner secret refuses the product, summed. */
  #leafAuthFailures() {
    const reasons = leafAuthReasons.flatMap((reasonCode) => [
      ...operations.map((op) => [metricNames.requestsFailed, op, reasonCode] as const),
      [metricNames.auditsFailed, 'AUDIT', reasonCode] as const,
    ]);
    const usingMetrics = Object.fromEntries(
      reasons.map(([metricName, op, reasonCode], index) => [
        `f${index}`,
        this.#metric(metricName, { operation: op, reasonCode }, `${op} ${reasonCode}`),
      ]),
    );

    // SUM of the list adds what is present at each time, where `+` would need every series there.
    return new MathExpression({
      expression: `SUM([${Object.keys(usingMetrics).join(', ')}])`,
      usingMetrics,
      label: 'Leaf authentication failures',
      period,
    });
  }

  #errorRateAlarm(id: string, operation: Operation, threshold: number, minimum: number) {
    // Ids per operation: the dashboard charts both rates in one graph, where ids must differ.
    const handled = `${operation.toLowerCase()}Handled`;
    const failed = `${operation.toLowerCase()}Failed`;
    const rate = new MathExpression({
      // Below the minimum the rate is taken as 0: one refused message is the dead-letter alarm's.
      expression: `IF(${handled} >= ${minimum}, 100 * FILL(${failed}, 0) / ${handled}, 0)`,
      usingMetrics: {
        [handled]: this.#metric(metricNames.requestsHandled, { operation }, 'handled'),
        [failed]: this.#metric(metricNames.requestsFailed, { operation }, 'failed'),
      },
      label: `${operation} error rate`,
      period,
    });

    return new Alarm(this, id, {
      alarmDescription:
        `${threshold} % or more of the ${operation} deliveries failed and were dead-lettered in two ` +
        `of the last three ${period.toMinutes()}-minute periods (with at least ${minimum} ` +
        `deliveries in a period). ${runbook('Error rate high')}`,
      metric: rate,
      threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  #graph(title: string, metrics: IMetric[]) {
    return new GraphWidget({ title, left: metrics, width: 8, height: 6, period });
  }
}
