import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import {
  Code,
  FunctionUrlAuthType,
  Function as LambdaFunction,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { envNames } from '../../../functions/shared/env-names';
import { metricNames, metricNamespace } from '../../../functions/shared/metric-names';
import { statusTableSchema } from '../../../functions/shared/status-table-schema';
import { FunctionUrlChecks } from '../../../lib/nag-packs';
import {
  actionsOf,
  logicalId,
  newApp,
  resourceText,
  statementsOf,
  synthStack,
} from '../../helpers/stack-synth';

describe('WebhookReceiver', () => {
  const { stack, template } = synthStack();
  const receiver = stack.webhookReceiver;
  const functionId = logicalId(receiver.function.lambdaFunction);

  it('serves the function at a URL without IAM auth, and outputs the URL', () => {
    // GIVEN
    const urls = template.findResources('AWS::Lambda::Url');

    // WHEN
    const [url] = Object.entries(urls);

    // THEN
    expect(Object.keys(urls)).toHaveLength(1);
    expect(url?.[1].Properties).toMatchObject({
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [functionId, 'Arn'] },
    });
    template.hasOutput('WebhookUrl', { Value: { 'Fn::GetAtt': [url?.[0], 'FunctionUrl'] } });
  });

  it('acknowledges the public URL under cdk-nag, which flags any other', () => {
    // GIVEN
    const other = new Stack(newApp(), 'Other');
    const fn = new LambdaFunction(other, 'Fn', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => ({});'),
    });
    fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });

    // WHEN
    const rulesOf = (scope: Stack) =>
      new FunctionUrlChecks(scope).validateScope(scope).violations.map((v) => v.ruleName);

    // THEN
    expect(rulesOf(other).sort()).toEqual([
      'FunctionUrl-LambdaFunctionPublicAccessProhibited',
      'FunctionUrl-LambdaFunctionUrlAuth',
    ]);
    expect(rulesOf(stack)).toEqual([]);
  });

  it('lets the function read only its webhook secret and the status table', () => {
    // GIVEN
    const statements = statementsOf(template, receiver.function.role);

    // WHEN
    const secretStatements = statements.filter((s) =>
      actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
    );
    const actions = statements.flatMap(actionsOf);

    // THEN
    expect(secretStatements.map(resourceText)).toEqual([
      expect.stringContaining(':secret:leaf/webhook-??????'),
    ]);
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem']),
    );
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions.filter((a) => a.startsWith('sqs:'))).toEqual([]);
  });

  it('passes the table, the secret name and the outcome bus, and no Leaf settings', () => {
    // GIVEN
    const functions = template.findResources('AWS::Lambda::Function');

    // WHEN
    const variables = functions[functionId]?.Properties.Environment.Variables;

    // THEN
    expect(variables).toMatchObject({
      [envNames.statusTableName]: { Ref: logicalId(stack.statusTable) },
      [envNames.webhookSecretId]: 'leaf/webhook',
      [envNames.outcomeEventBusName]: { Ref: logicalId(stack.outcomeBus.eventBus) },
    });
    expect(variables).not.toHaveProperty(envNames.leafApiBaseUrl);
    expect(variables).not.toHaveProperty(envNames.leafApiOwnerSecretId);
  });

  it('raises an alarm when a call could not be recorded', () => {
    // GIVEN
    const metric = { Namespace: metricNamespace, MetricName: metricNames.webhookCalls };

    // WHEN / THEN
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...metric,
      Dimensions: Match.arrayWith([{ Name: 'result', Value: 'failed' }]),
      Threshold: 1,
      AlarmActions: [{ Ref: logicalId(stack.alarmTopic.topic) }],
    });
  });

  it('lets DynamoDB expire the receipts that refuse replays', () => {
    // GIVEN
    const attribute = statusTableSchema.timeToLiveAttribute;

    // WHEN / THEN
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
    });
  });

  it('reads the secret name from context', () => {
    // GIVEN
    const context = { webhookSecretName: 'ops/leaf-webhook' };

    // WHEN
    const { stack: custom, template: customTemplate } = synthStack(context);

    // THEN
    const statements = statementsOf(customTemplate, custom.webhookReceiver.function.role);
    expect(statements.map(resourceText).join()).toContain(':secret:ops/leaf-webhook-??????');
  });
});
