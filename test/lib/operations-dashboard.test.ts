import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { leafAuthReasons } from '../../functions/shared/metric-names';
import { parseConfig } from '../../lib/config';
import {
  OperationsDashboard,
  type OperationsDashboardProps,
} from '../../lib/constructs/operations-dashboard';
import { QueueConsumerFunction } from '../../lib/constructs/queue-consumer-function';
import { ProvisionerStack } from '../../lib/provisioner-stack';

interface Widget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly alarms?: readonly string[];
    readonly metrics?: readonly unknown[][];
  };
}

interface AlarmMetric {
  readonly Id: string;
  readonly Expression?: string;
  readonly MetricStat?: {
    readonly Metric: {
      readonly Namespace: string;
      readonly MetricName: string;
      readonly Dimensions: readonly { readonly Name: string; readonly Value: string }[];
    };
    readonly Stat: string;
  };
}

// The feature flags of cdk.json, so the test synthesizes what `cdk synth` does.
const cdkJsonContext = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

const logicalId = (construct: IConstruct) => {
  const element = construct.node.defaultChild as CfnElement;

  return element.stack.getLogicalId(element);
};

/**
 * The dashboard body as JSON. CloudFormation joins it from strings and references; each
 * reference sits inside a JSON string, so a placeholder keeps the text parseable.
 */
const widgetsOf = (template: Template): Widget[] => {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const join: [string, unknown[]] = dashboard?.Properties.DashboardBody['Fn::Join'] ?? ['', []];
  const text = join[1].map((part) => (typeof part === 'string' ? part : '<ref>')).join('');

  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
};

const widget = (widgets: Widget[], title: string) => {
  const found = widgets.find((w) => w.properties.title === title);
  if (!found) {
    throw new Error(`no widget titled ${title}`);
  }

  return found;
};

const metricNamesOf = (w: Widget) =>
  (w.properties.metrics ?? []).map((line) => line.filter((part) => typeof part === 'string'));

const alarmMetrics = (template: Template, alarm: IConstruct): AlarmMetric[] =>
  template.toJSON().Resources[logicalId(alarm)].Properties.Metrics;

describe('OperationsDashboard', () => {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  const config = parseConfig((key) => app.node.tryGetContext(key));
  const stack = new ProvisionerStack(app, 'Provisioner', { config });
  const template = Template.fromStack(stack);
  const topicRef = { Ref: logicalId(stack.alarmTopic.topic) };

  describe('dashboard', () => {
    it('charts every signal the operators watch when the stack is synthesized', () => {
      // GIVEN
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);

      // WHEN
      const titles = widgetsOf(template).map((w) => w.properties.title);

      // THEN
      expect(titles).toEqual([
        'Alarms (see README, Runbook)',
        'Throughput: credentials provisioned and removed',
        'Failures by reason',
        'Retries by reason',
        'Queue depth',
        'Age of oldest message (s)',
        'Dead-letter queue depth',
        'Leaf latency p50 and p99 (ms)',
        'Leaf responses by status',
        'Token renewals and cold starts',
        'Concurrency',
        'Throttles',
        'Error rate (% of deliveries failed)',
      ]);
    });

    it('charts failures and retries by reason with a search over the reason dimension', () => {
      // GIVEN
      const widgets = widgetsOf(template);

      // WHEN
      const expressions = ['Failures by reason', 'Retries by reason'].map((title) =>
        JSON.stringify(widget(widgets, title).properties.metrics),
      );

      // THEN
      expect(expressions[0]).toContain(
        'SEARCH(\'{LeafCnhiProvisioner,service,operation,reasonCode} MetricName=\\"RequestsFailed\\" service=\\"leaf-cnhi-provisioner\\"\', \'Sum\', 300)',
      );
      expect(expressions[1]).toContain('MetricName=\\"RequestsRetried\\"');
    });

    it('charts Leaf latency at p50 and p99 for every kind of call', () => {
      // GIVEN
      const latency = widget(widgetsOf(template), 'Leaf latency p50 and p99 (ms)');

      // WHEN
      const stats = (latency.properties.metrics ?? []).map((line) => {
        const options = line.at(-1) as { stat: string };

        return `${line[1]} ${line[line.indexOf('method') + 1]} ${options.stat}`;
      });

      // THEN
      expect(stats).toEqual(
        ['GET', 'POST', 'DELETE', 'AUTHENTICATE'].flatMap((method) => [
          `LeafLatency ${method} p50`,
          `LeafLatency ${method} p99`,
        ]),
      );
    });

    it('charts depth, age and dead letters of both queues, and every function’s capacity', () => {
      // GIVEN
      const widgets = widgetsOf(template);

      // WHEN
      const names = (title: string) => metricNamesOf(widget(widgets, title)).map((m) => m[1]);

      // THEN
      expect(names('Queue depth')).toEqual([
        'ApproximateNumberOfMessagesVisible',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesVisible',
        'ApproximateNumberOfMessagesNotVisible',
      ]);
      expect(names('Age of oldest message (s)')).toEqual([
        'ApproximateAgeOfOldestMessage',
        'ApproximateAgeOfOldestMessage',
      ]);
      expect(names('Dead-letter queue depth')).toHaveLength(2);
      // Every function of the stack, whoever adds one.
      const functions = Object.keys(template.findResources('AWS::Lambda::Function')).length;
      expect(names('Concurrency')).toEqual(Array(functions).fill('ConcurrentExecutions'));
      expect(names('Throttles')).toEqual(Array(functions).fill('Throttles'));
    });

    it('shows every alarm of the stack in the alarm status widget', () => {
      // GIVEN
      const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));

      // WHEN
      const shown = widget(widgetsOf(template), 'Alarms (see README, Runbook)').properties.alarms;

      // THEN
      expect(shown).toHaveLength(alarms.length);
    });
  });

  describe('alarms', () => {
    it('raises the Leaf authentication alarm on the first failure with an auth reason', () => {
      // GIVEN
      const alarm = stack.operations.leafAuthAlarm;

      // WHEN
      const metrics = alarmMetrics(template, alarm);

      // THEN
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: Match.stringLikeRegexp(
          'See README, Runbook: Leaf authentication failing',
        ),
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topicRef],
        OKActions: [topicRef],
      });
      const stats = metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat] : []));
      const expression = metrics.find((m) => m.Expression)?.Expression;
      expect(expression).toBe(`SUM([${stats.map((_, i) => `f${i}`).join(', ')}])`);
      const watched = stats.map(({ Metric: m, Stat }) => {
        const dimension = (name: string) => m.Dimensions.find((d) => d.Name === name)?.Value;

        return `${m.Namespace} ${m.MetricName} ${dimension('operation')} ${dimension('reasonCode')} ${Stat}`;
      });
      expect(watched.sort()).toEqual(
        leafAuthReasons
          .flatMap((reason) => [
            `LeafCnhiProvisioner RequestsFailed PROVISION ${reason} Sum`,
            `LeafCnhiProvisioner RequestsFailed DEPROVISION ${reason} Sum`,
            `LeafCnhiProvisioner AuditsFailed AUDIT ${reason} Sum`,
          ])
          .sort(),
      );
    });

    it.each([
      ['PROVISION', 'provision'],
      ['DEPROVISION', 'deprovision'],
    ] as const)(
      'raises the %s error-rate alarm when 10 %% of deliveries fail',
      (operation, prefix) => {
        // GIVEN
        const alarm = stack.operations.errorRateAlarms[operation];

        // WHEN
        const metrics = alarmMetrics(template, alarm);

        // THEN
        expect(template.toJSON().Resources[logicalId(alarm)].Properties).toMatchObject({
          AlarmDescription: expect.stringContaining('See README, Runbook: Error rate high'),
          Threshold: 10,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 3,
          DatapointsToAlarm: 2,
          TreatMissingData: 'notBreaching',
          AlarmActions: [topicRef],
        });
        expect(metrics.find((m) => m.Expression)?.Expression).toBe(
          `IF(${prefix}Handled >= 10, 100 * FILL(${prefix}Failed, 0) / ${prefix}Handled, 0)`,
        );
        expect(
          metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat] : [])).map((s) => s.Metric),
        ).toEqual(
          expect.arrayContaining(
            ['RequestsHandled', 'RequestsFailed'].map((MetricName) => ({
              Namespace: 'LeafCnhiProvisioner',
              MetricName,
              Dimensions: expect.arrayContaining([
                { Name: 'operation', Value: operation },
                { Name: 'service', Value: 'leaf-cnhi-provisioner' },
              ]),
            })),
          ),
        );
      },
    );

    it.each([
      ['provision', () => stack.provision],
      ['deprovision', () => stack.deprovision],
    ])('keeps an alarm on the age of the oldest %s message', (_, consumer) => {
      // GIVEN
      const queueId = logicalId(consumer().queue);

      // WHEN / THEN
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Threshold: 3600,
        AlarmActions: [topicRef],
      });
    });

    it('keeps the construct ids the runbook and the alarm history rely on', () => {
      // GIVEN
      const { operations } = stack;

      // WHEN
      const ids = operations.alarms.map((alarm) => alarm.node.id);

      // THEN
      expect(operations.node.id).toBe('Operations');
      expect(ids).toEqual([
        'LeafAuthFailingAlarm',
        'ProvisionErrorRateAlarm',
        'DeprovisionErrorRateAlarm',
      ]);
    });
  });

  describe('props', () => {
    const newDashboard = (props: Partial<OperationsDashboardProps>) => {
      const scratch = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
      const consumer = (id: string) =>
        new QueueConsumerFunction(scratch, id, { entry: __filename, serviceName: 'test' });

      return new OperationsDashboard(scratch, 'Operations', {
        serviceName: 'test',
        provision: consumer('Provision'),
        deprovision: consumer('Deprovision'),
        ...props,
      });
    };

    it('sets the error-rate threshold and minimum when given', () => {
      // GIVEN
      const operations = newDashboard({
        errorRateThresholdPercent: 25,
        errorRateMinimumRequests: 50,
      });

      // WHEN
      const custom = Template.fromStack(Stack.of(operations));

      // THEN
      custom.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 25,
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: Match.stringLikeRegexp('provisionHandled >= 50') }),
        ]),
      });
    });

    it.each([0, 101])('throws at synth when the error-rate threshold is %s', (threshold) => {
      // GIVEN
      const props = { errorRateThresholdPercent: threshold };

      // WHEN / THEN
      expect(() => newDashboard(props)).toThrow(
        `errorRateThresholdPercent must be above 0 and at most 100 (given ${threshold})`,
      );
    });

    it('throws at synth when the minimum number of deliveries is not a positive integer', () => {
      // GIVEN
      const props = { errorRateMinimumRequests: 0.5 };

      // WHEN / THEN
      expect(() => newDashboard(props)).toThrow(/errorRateMinimumRequests .* \(given 0.5\)/);
    });
  });
});
