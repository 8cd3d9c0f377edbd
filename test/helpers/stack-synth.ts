import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { parseConfig } from '../../lib/config';
import { ProvisionerStack } from '../../lib/provisioner-stack';

/** An IAM statement as the template holds it. */
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

// The feature flags of cdk.json, so the tests synthesize what `cdk synth` does.
const cdkJsonContext = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

/** A fresh app with cdk.json's context; bundling is skipped, so no esbuild runs. */
export const newApp = (context: Record<string, unknown> = {}): App =>
  new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], ...context } });

/** The whole stack, configured from `context` as `cdk synth -c` would. */
export const synthStack = (context: Record<string, unknown> = {}) => {
  const app = newApp(context);
  const config = parseConfig((key) => app.node.tryGetContext(key));
  const stack = new ProvisionerStack(app, 'Provisioner', { config });

  return { app, stack, template: Template.fromStack(stack) };
};

export const logicalId = (construct: IConstruct): string => {
  const resource = construct.node.defaultChild as CfnElement;

  return resource.stack.getLogicalId(resource);
};

/** Every statement of the policies attached to a role. */
export const statementsOf = (template: Template, role: IConstruct): Statement[] =>
  Object.values(
    template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: logicalId(role) }]) },
    }),
  ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);

export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

export const resourceText = (statement: Statement): string => JSON.stringify(statement.Resource);
