import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { envNames } from '../../../functions/shared/env-names';
import { parseConfig } from '../../../lib/config';
import { SecretChangeTrigger } from '../../../lib/constructs/secret-change-trigger';
import { ProvisionerStack } from '../../../lib/provisioner-stack';

const cdkJsonContext = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8'),
).context;

const synth = (context: Record<string, unknown> = {}) => {
  const app = new App({
    context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], ...context },
  });
  const config = parseConfig((key) => app.node.tryGetContext(key));
  const stack = new ProvisionerStack(app, 'Provisioner', { config });

  return { stack, template: Template.fromStack(stack) };
};

const logicalId = (construct: IConstruct) => {
  const resource = construct.node.defaultChild as CfnElement;

  return resource.stack.getLogicalId(resource);
};

describe('SecretChangeTrigger', () => {
  const { stack, template } = synth();
  const trigger = stack.secretChangeTrigger;

  it('matches successful value changes only for secrets under the prefix, by name or ARN', () => {
    // GIVEN
    const secretIdPattern = [
      { prefix: 'leaf/cnhi/' },
      { wildcard: 'arn:*:secretsmanager:*:*:secret:leaf/cnhi/*' },
    ];

    // WHEN / THEN
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ['PutSecretValue', 'UpdateSecret'],
          errorCode: [{ exists: false }],
          requestParameters: { secretId: secretIdPattern },
        },
      },
    });
  });

  it('matches a successful rotation only for secrets under the prefix', () => {
    // GIVEN
    const arnPattern = [{ wildcard: 'arn:*:secretsmanager:*:*:secret:leaf/cnhi/*' }];

    // WHEN / THEN
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: Match.objectLike({
          eventName: ['RotationSucceeded'],
          additionalEventData: { SecretId: arnPattern },
        }),
      },
    });
  });

  it('follows the configured prefix when it is not the default', () => {
    // GIVEN
    const { template: custom } = synth({ growerSecretPrefix: 'growers/cnh/' });

    // WHEN / THEN
    custom.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({
          requestParameters: {
            secretId: [
              { prefix: 'growers/cnh/' },
              { wildcard: 'arn:*:secretsmanager:*:*:secret:growers/cnh/*' },
            ],
          },
        }),
      }),
    });
  });

  it('retries delivery and keeps undeliverable events in its dead-letter queue', () => {
    // GIVEN
    const deadLetterArn = { 'Fn::GetAtt': [logicalId(trigger.deadLetterQueue), 'Arn'] };

    // WHEN
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { Targets: [Match.objectLike({ DeadLetterConfig: { Arn: deadLetterArn } })] },
    });

    // THEN
    expect(Object.keys(rules)).toHaveLength(2);
    for (const rule of Object.values(rules)) {
      expect(rule.Properties.Targets[0].RetryPolicy).toEqual({
        MaximumRetryAttempts: 8,
        MaximumEventAgeInSeconds: 6 * 3600,
      });
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      DeadLetterConfig: { TargetArn: deadLetterArn },
      Environment: {
        Variables: Match.objectLike({
          [envNames.provisioningQueueUrl]: { Ref: logicalId(stack.provision.queue) },
          [envNames.growerSecretPrefix]: 'leaf/cnhi/',
        }),
      },
    });
  });

  it('lets the function send to the provisioning and dead-letter queues and nothing more', () => {
    // GIVEN
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: logicalId(trigger.function.role) }] },
    });

    // WHEN
    const statements = Object.values(policies).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement,
    );
    const actions = statements.flatMap((s: { Action: string | string[] }) =>
      Array.isArray(s.Action) ? s.Action : [s.Action],
    );

    // THEN
    expect(actions.filter((action) => !/^(logs|xray):/.test(action)).sort()).toEqual(
      expect.arrayContaining(['sqs:SendMessage']),
    );
    expect(actions.some((action) => /^(secretsmanager|dynamodb|events):/.test(action))).toBe(false);
    const sendResources = JSON.stringify(
      statements.filter((s: { Action: string | string[] }) =>
        [s.Action].flat().includes('sqs:SendMessage'),
      ),
    );
    expect(sendResources).toContain(logicalId(stack.provision.queue));
    expect(sendResources).toContain(logicalId(trigger.deadLetterQueue));
  });

  it('throws at synth when retryAttempts is outside what EventBridge accepts', () => {
    // GIVEN
    const scope = new Stack(new App(), 'S');
    const queue = new Queue(scope, 'Q');

    // WHEN / THEN
    expect(
      () =>
        new SecretChangeTrigger(scope, 'Trigger', {
          growerSecretPrefix: 'leaf/cnhi/',
          provisioningQueue: queue,
          serviceName: 'test',
          retryAttempts: 200,
        }),
    ).toThrow(/retryAttempts must be from 0 to 185 \(given 200\)/);
  });
});
