import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { envNames } from '../../../functions/shared/env-names';
import { parseConfig } from '../../../lib/config';
import { ProvisionerStack } from '../../../lib/provisioner-stack';

const cdkJsonContext = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8'),
).context;

const logicalId = (construct: IConstruct) => {
  const resource = construct.node.defaultChild as CfnElement;

  return resource.stack.getLogicalId(resource);
};

describe('OutcomeBus', () => {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  const config = parseConfig((key) => app.node.tryGetContext(key));
  const stack = new ProvisionerStack(app, 'Provisioner', { config });
  const template = Template.fromStack(stack);
  const busId = logicalId(stack.outcomeBus.eventBus);

  it('archives every event of the product for 30 days', () => {
    // GIVEN
    const busArn = { 'Fn::GetAtt': [busId, 'Arn'] };

    // WHEN / THEN
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: busArn,
      EventPattern: { source: ['leaf-cnhi-provisioner'] },
      RetentionDays: 30,
    });
  });

  it.each([
    ['provision', () => stack.provision],
    ['deprovision', () => stack.deprovision],
  ])('lets %s publish to the bus and names the bus to it', (_, consumer) => {
    // GIVEN
    const fn = consumer();

    // WHEN
    const functions = template.findResources('AWS::Lambda::Function');

    // THEN
    expect(functions[logicalId(fn.lambdaFunction)]?.Properties.Environment.Variables).toMatchObject(
      {
        [envNames.outcomeEventBusName]: { Ref: busId },
      },
    );
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: Match.arrayWith([{ Ref: logicalId(fn.role) }]),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'events:PutEvents',
            Resource: { 'Fn::GetAtt': [busId, 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('outputs the bus name and ARN for consumers to subscribe', () => {
    // GIVEN
    const outputs = template.findOutputs('*');

    // WHEN
    const bus = { name: outputs.OutcomeEventBusName, arn: outputs.OutcomeEventBusArn };

    // THEN
    expect(bus.name?.Value).toEqual({ Ref: busId });
    expect(bus.arn?.Value).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
  });
});
