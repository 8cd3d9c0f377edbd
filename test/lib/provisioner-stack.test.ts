import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type CfnElement, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { envNames } from '../../functions/shared/env-names';
import { statusTableSchema } from '../../functions/shared/status-table-schema';
import { parseConfig } from '../../lib/config';
import { provisionerNagPacks } from '../../lib/nag-packs';
import { ProvisionerStack } from '../../lib/provisioner-stack';

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

// The feature flags of cdk.json, so the tests synthesize what `cdk synth` does.
const cdkJsonContext = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

const newApp = (context: Record<string, unknown> = {}) =>
  new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], ...context } });

const synth = (context: Record<string, unknown> = {}) => {
  const app = newApp(context);
  const config = parseConfig((key) => app.node.tryGetContext(key));
  const stack = new ProvisionerStack(app, 'Provisioner', { config });

  return { app, stack, template: Template.fromStack(stack) };
};

const logicalId = (construct: IConstruct) =>
  (construct.node.defaultChild as CfnElement).stack.getLogicalId(
    construct.node.defaultChild as CfnElement,
  );

const statementsOf = (template: Template, role: IConstruct): Statement[] =>
  Object.values(
    template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: logicalId(role) }]) },
    }),
  ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);

const actionsOf = (statement: Statement) =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

const resourceText = (statement: Statement) => JSON.stringify(statement.Resource);

const allows = (statements: Statement[], action: string, resource: string) =>
  statements.some(
    (statement) =>
      statement.Effect === 'Allow' &&
      actionsOf(statement).includes(action) &&
      resourceText(statement).includes(resource),
  );

describe('ProvisionerStack', () => {
  const { stack, template } = synth();

  describe('queues', () => {
    it('encrypts every queue and refuses requests without TLS', () => {
      // GIVEN
      const queues = template.findResources('AWS::SQS::Queue');

      // WHEN
      const ids = Object.keys(queues);

      // THEN
      expect(ids).toHaveLength(5);
      for (const id of ids) {
        expect(queues[id].Properties.SqsManagedSseEnabled).toBe(true);
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: id }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
      }
    });

    it.each([
      ['provision', stack.provision],
      ['deprovision', stack.deprovision],
    ])('redrives %s messages to a dead-letter queue that keeps them longer', (_, consumer) => {
      // GIVEN
      const queueId = logicalId(consumer.queue);
      const deadLetterQueueId = logicalId(consumer.deadLetterQueue);

      // WHEN
      const queue = template.findResources('AWS::SQS::Queue')[queueId];

      // THEN
      expect(queue.Properties).toMatchObject({
        MessageRetentionPeriod: 4 * 24 * 3600,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterQueueId, 'Arn'] },
          maxReceiveCount: 5,
        },
      });
      expect(template.findResources('AWS::SQS::Queue')[deadLetterQueueId].Properties).toMatchObject(
        { MessageRetentionPeriod: 14 * 24 * 3600 },
      );
    });

    it('sets the redrive maxReceiveCount from maxAttempts', () => {
      // GIVEN
      const { stack: custom, template: customTemplate } = synth({ maxAttempts: 3 });

      // WHEN
      const queue =
        customTemplate.findResources('AWS::SQS::Queue')[logicalId(custom.provision.queue)];

      // THEN
      expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(3);
      customTemplate.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [envNames.maxAttempts]: '3' }) },
      });
    });

    it('sets each visibility timeout to six times its consumer timeout', () => {
      // GIVEN
      const { stack: custom, template: customTemplate } = synth({
        consumerTimeoutSeconds: 45,
        recordConcurrency: 10,
      });

      // WHEN
      const queues = customTemplate.findResources('AWS::SQS::Queue');
      const functions = customTemplate.findResources('AWS::Lambda::Function');

      // THEN
      for (const consumer of [custom.provision, custom.deprovision]) {
        const timeout = functions[logicalId(consumer.lambdaFunction)].Properties.Timeout;
        expect(timeout).toBe(45);
        expect(queues[logicalId(consumer.queue)].Properties.VisibilityTimeout).toBe(6 * timeout);
      }
    });
  });

  describe('functions', () => {
    it('runs every function on arm64 with Node.js 24, active tracing and JSON logs', () => {
      // GIVEN
      template.resourceCountIs('AWS::Lambda::Function', 6);

      // WHEN / THEN
      template.allResourcesProperties('AWS::Lambda::Function', {
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
        Environment: {
          Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }),
        },
      });
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });

    it('reports partial batch failures and caps the concurrency of each event source', () => {
      // GIVEN
      const { template: customTemplate } = synth({ maxConcurrency: 20 });

      // WHEN
      const mappings = customTemplate.findResources('AWS::Lambda::EventSourceMapping');

      // THEN
      expect(Object.keys(mappings)).toHaveLength(2);
      customTemplate.allResourcesProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 20 },
      });
    });

    it('passes each function the settings it reads, from construct attributes', () => {
      // GIVEN
      const functions = template.findResources('AWS::Lambda::Function');

      // WHEN
      const variablesOf = (construct: IConstruct) =>
        functions[logicalId(construct)].Properties.Environment.Variables;

      // THEN
      expect(variablesOf(stack.provision.lambdaFunction)).toMatchObject({
        [envNames.leafApiBaseUrl]: 'https://api.withleaf.io',
        [envNames.leafApiOwnerSecretId]: 'leaf/api-owner',
        [envNames.growerSecretPrefix]: 'leaf/cnhi/',
        [envNames.leafRequestTimeoutMs]: '8000',
        [envNames.statusTableName]: { Ref: logicalId(stack.statusTable) },
        [envNames.sourceQueueUrl]: { Ref: logicalId(stack.provision.queue) },
        [envNames.deadLetterQueueUrl]: { Ref: logicalId(stack.provision.deadLetterQueue) },
        [envNames.maxAttempts]: '5',
        [envNames.recordConcurrency]: '1',
        [envNames.leafRequestsPerMinute]: '200',
      });
      expect(variablesOf(stack.deprovision.lambdaFunction)).toMatchObject({
        [envNames.leafRequestsPerMinute]: '200',
      });
      expect(variablesOf(stack.deprovision.lambdaFunction)).not.toHaveProperty(
        envNames.growerSecretPrefix,
      );
      expect(variablesOf(stack.audit.lambdaFunction)).not.toHaveProperty(envNames.sourceQueueUrl);
    });

    it('paces each consumer environment to its share of Leaf’s rate limit', () => {
      // GIVEN (2000 − 400) a minute over 2 queues × 20 environments
      const { stack: custom, template: customTemplate } = synth({
        maxConcurrency: 20,
        leafRateLimitPerMinute: 2000,
        auditRequestsPerMinute: 400,
      });

      // WHEN
      const functions = customTemplate.findResources('AWS::Lambda::Function');
      const shareOf = (construct: IConstruct) =>
        functions[logicalId(construct)].Properties.Environment.Variables[
          envNames.leafRequestsPerMinute
        ];

      // THEN
      expect(shareOf(custom.provision.lambdaFunction)).toBe('40');
      expect(shareOf(custom.deprovision.lambdaFunction)).toBe('40');
      expect(shareOf(custom.audit.lambdaFunction)).toBeUndefined();
      expect(shareOf(custom.scheduledAudit.function.lambdaFunction)).toBeUndefined();
    });
  });

  describe('status table', () => {
    it('keeps the table on demand, recoverable, encrypted and retained', () => {
      // GIVEN
      const { partitionKey, sortKey, credentialIdIndex } = statusTableSchema;

      // WHEN / THEN
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [
            { AttributeName: partitionKey, KeyType: 'HASH' },
            { AttributeName: sortKey, KeyType: 'RANGE' },
          ],
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          GlobalSecondaryIndexes: [
            {
              IndexName: credentialIdIndex.name,
              KeySchema: [{ AttributeName: credentialIdIndex.partitionKey, KeyType: 'HASH' }],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
        }),
      });
    });
  });

  describe('permissions', () => {
    it('lets provision read the grower secrets under the prefix and the API-owner secret', () => {
      // GIVEN
      const statements = statementsOf(template, stack.provision.role);

      // WHEN / THEN
      expect(allows(statements, 'secretsmanager:GetSecretValue', ':secret:leaf/cnhi/*"')).toBe(
        true,
      );
      expect(
        allows(statements, 'secretsmanager:GetSecretValue', ':secret:leaf/api-owner-??????'),
      ).toBe(true);
    });

    it.each([
      ['deprovision', () => stack.deprovision.role],
      ['audit', () => stack.audit.role],
    ])('gives %s the API-owner secret but no grower secret', (_, role) => {
      // GIVEN
      const statements = statementsOf(template, role());

      // WHEN
      const growerStatements = statements.filter((s) => resourceText(s).includes('leaf/cnhi/'));

      // THEN
      expect(growerStatements).toEqual([]);
      expect(
        allows(statements, 'secretsmanager:GetSecretValue', ':secret:leaf/api-owner-??????'),
      ).toBe(true);
    });

    it('uses no wildcard resource except for X-Ray', () => {
      // GIVEN
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
      );

      // WHEN
      const onEverything = statements.filter((s) => resourceText(s).includes('"*"'));

      // THEN
      expect(onEverything.length).toBeGreaterThan(0);
      for (const statement of onEverything) {
        for (const action of actionsOf(statement)) {
          expect(action).toMatch(/^xray:/);
        }
      }
    });

    it.each([
      ['provision', () => stack.provision],
      ['deprovision', () => stack.deprovision],
    ])('lets %s delay its own messages and dead-letter them', (_, consumer) => {
      // GIVEN
      const statements = statementsOf(template, consumer().role);

      // WHEN
      const queueArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(consumer().queue), 'Arn'] });
      const deadLetterArn = JSON.stringify({
        'Fn::GetAtt': [logicalId(consumer().deadLetterQueue), 'Arn'],
      });

      // THEN
      expect(allows(statements, 'sqs:ChangeMessageVisibility', queueArn)).toBe(true);
      expect(allows(statements, 'sqs:SendMessage', deadLetterArn)).toBe(true);
      expect(allows(statements, 'dynamodb:UpdateItem', logicalId(stack.statusTable))).toBe(true);
    });

    it('lets audit read the status table but not write it', () => {
      // GIVEN
      const statements = statementsOf(template, stack.audit.role);

      // WHEN
      const dynamoActions = statements.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'));

      // THEN
      expect(dynamoActions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
      for (const action of ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']) {
        expect(dynamoActions).not.toContain(`dynamodb:${action}`);
      }
    });
  });

  describe('alarms', () => {
    it('sends every alarm to the encrypted, TLS-only topic', () => {
      // GIVEN
      const topicId = logicalId(stack.alarmTopic.topic);

      // WHEN
      const alarms = template.findResources('AWS::CloudWatch::Alarm');

      // THEN
      // Those of the functions and queues, and 3 on the product's metrics (operations-dashboard),
      // and 3 on the webhook's and the scheduled audit's metrics.
      expect(Object.keys(alarms)).toHaveLength(17);
      template.allResourcesProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [{ Ref: topicId }],
      });
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack.alarmTopic.key), 'Arn'] },
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it.each([
      ['provision', () => stack.provision],
      ['deprovision', () => stack.deprovision],
    ])('raises an alarm on the first message in the %s dead-letter queue', (_, consumer) => {
      // GIVEN
      const deadLetterQueueId = logicalId(consumer().deadLetterQueue);

      // WHEN / THEN
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterQueueId, 'QueueName'] } },
        ],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
      });
    });

    it.each([
      ['provision', () => stack.provision],
      ['deprovision', () => stack.deprovision],
      ['audit', () => stack.audit],
    ])('raises an alarm on any %s error', (_, fn) => {
      // GIVEN
      const functionId = logicalId(fn().lambdaFunction);

      // WHEN / THEN
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
    });

    it('subscribes the alarm e-mail address when one is configured', () => {
      // GIVEN
      const { template: customTemplate } = synth({ alarmEmail: 'ops@example.com' });

      // WHEN / THEN
      customTemplate.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'ops@example.com',
      });
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });
  });

  it('outputs the queue URLs, the table name, the function names and the topic ARN', () => {
    // GIVEN
    const outputs = template.findOutputs('*');

    // WHEN
    const names = Object.keys(outputs).sort();

    // THEN
    expect(names).toEqual([
      'AlarmTopicArn',
      'AuditFunctionName',
      'DeprovisionFunctionName',
      'DeprovisioningDeadLetterQueueUrl',
      'DeprovisioningQueueUrl',
      'OutcomeEventBusArn',
      'OutcomeEventBusName',
      'ProvisionFunctionName',
      'ProvisioningDeadLetterQueueUrl',
      'ProvisioningQueueUrl',
      'ScheduledAuditFunctionName',
      'SecretChangeDeadLetterQueueUrl',
      'StatusTableName',
      'WebhookUrl',
    ]);
  });

  it('throws at synth when a context value is invalid', () => {
    // GIVEN
    const app = newApp({ maxConcurrency: 1 });

    // WHEN / THEN
    expect(() => parseConfig((key) => app.node.tryGetContext(key))).toThrow(
      /maxConcurrency must be an integer between 2 and 1000 \(given 1\)/,
    );
  });
});

describe('ProvisionerStack under cdk-nag', () => {
  it.each([
    ['the defaults', {}],
    ['an alarm e-mail address', { alarmEmail: 'ops@example.com' }],
  ])('passes every rule pack with %s, warnings included', (_, context) => {
    // GIVEN
    const app = newApp(context);
    const config = parseConfig((key) => app.node.tryGetContext(key));
    new ProvisionerStack(app, 'Provisioner', { config });
    const packs = provisionerNagPacks(app);
    Validations.of(app).addPlugins(...packs);

    // WHEN
    // An in-memory app throws with the report when a pack finds an unacknowledged error.
    app.synth();
    const findings = packs.flatMap((pack) =>
      pack.validateScope(app).violations.map((v) => `${v.severity} ${v.ruleName}`),
    );

    // THEN
    expect(packs.map((pack) => pack.name)).toEqual([
      'AwsSolutions',
      'Serverless',
      'QueueConsumer',
      'FunctionUrl',
    ]);
    expect(findings).toEqual([]);
  });
});
