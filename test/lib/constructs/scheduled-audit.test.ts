import { Match } from 'aws-cdk-lib/assertions';
import { envNames } from '../../../functions/shared/env-names';
import { metricNames, metricNamespace } from '../../../functions/shared/metric-names';
import { parseConfig } from '../../../lib/config';
import {
  actionsOf,
  logicalId,
  newApp,
  resourceText,
  statementsOf,
  synthStack,
} from '../../helpers/stack-synth';

describe('ScheduledAudit', () => {
  const { stack, template } = synthStack();
  const audit = stack.scheduledAudit;
  const functionId = logicalId(audit.function.lambdaFunction);

  it('runs the audit daily by default, for at most Lambda’s 15 minutes', () => {
    // GIVEN
    const functions = template.findResources('AWS::Lambda::Function');

    // WHEN
    const properties = functions[functionId]?.Properties;

    // THEN
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId, 'Arn'] } })],
    });
    expect(properties).toMatchObject({ Timeout: 900, MemorySize: 512 });
    expect(properties.Environment.Variables).toMatchObject({
      [envNames.auditRequestsPerMinute]: '200',
      [envNames.leafApiBaseUrl]: 'https://api.withleaf.io',
      [envNames.outcomeEventBusName]: { Ref: logicalId(stack.outcomeBus.eventBus) },
    });
  });

  it('takes its schedule and pace from context', () => {
    // GIVEN
    const context = { auditSchedule: 'cron(0 3 * * ? *)', auditRequestsPerMinute: '60' };

    // WHEN
    const { stack: custom, template: customTemplate } = synthStack(context);

    // THEN
    customTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
    });
    const functions = customTemplate.findResources('AWS::Lambda::Function');
    const id = logicalId(custom.scheduledAudit.function.lambdaFunction);
    expect(functions[id]?.Properties.Environment.Variables).toMatchObject({
      [envNames.auditRequestsPerMinute]: '60',
    });
  });

  it('lets the audit scan the table and read the API-owner secret, but no other secret', () => {
    // GIVEN
    const statements = statementsOf(template, audit.function.role);

    // WHEN
    const secrets = statements.filter((s) =>
      actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
    );

    // THEN
    expect(secrets.map(resourceText)).toEqual([
      expect.stringContaining(':secret:leaf/api-owner-??????'),
    ]);
    const scan = statements.filter((s) => actionsOf(s).includes('dynamodb:Scan'));
    expect(scan.map(resourceText)).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.statusTable), 'Arn'] }),
    ]);
  });

  it.each([
    ['unhealthy credentials', metricNames.unhealthyCredentials],
    ['drifted records', metricNames.driftedCredentials],
  ])('raises an alarm while the last run found %s', (_, metricName) => {
    // GIVEN
    const topic = logicalId(stack.alarmTopic.topic);

    // WHEN / THEN
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: metricNamespace,
      MetricName: metricName,
      Dimensions: [{ Name: 'service', Value: 'leaf-cnhi-provisioner' }],
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'ignore',
      AlarmActions: [{ Ref: topic }],
      OKActions: [{ Ref: topic }],
    });
  });
});

describe('parseConfig for the webhook and the audit', () => {
  const parse = (context: Record<string, unknown>) => {
    const app = newApp(context);

    return () => parseConfig((key) => app.node.tryGetContext(key));
  };

  it('defaults to a daily audit at 200 requests a minute and the leaf/webhook secret', () => {
    // GIVEN
    const read = parse({});

    // WHEN
    const config = read();

    // THEN
    expect(config).toMatchObject({
      auditSchedule: 'rate(1 day)',
      auditRequestsPerMinute: 200,
      webhookSecretName: 'leaf/webhook',
    });
  });

  it.each([
    [{ auditSchedule: 'daily' }, /auditSchedule must be an EventBridge rate\(\.\.\.\) or cron/],
    [{ auditSchedule: 'rate(5 minutes)' }, /auditSchedule must not run more often than every 15/],
    [{ auditSchedule: 'rate(2 day)' }, /auditSchedule must say rate\(1 unit\) or rate\(N units\)/],
    [{ auditRequestsPerMinute: 0 }, /auditRequestsPerMinute must be an integer between 1 and 1000/],
    [
      { webhookSecretName: 'leaf/cnhi/webhook' },
      /webhookSecretName must lie outside growerSecretPrefix/,
    ],
    [{ webhookSecretName: 'leaf/api-owner' }, /differ from leafApiOwnerSecretName \(given "leaf/],
  ])('throws at synth when given %j', (context, message) => {
    // GIVEN
    const read = parse(context);

    // WHEN / THEN
    expect(read).toThrow(message);
  });
});
