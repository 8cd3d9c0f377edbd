import type { CfnResource } from 'aws-cdk-lib';
import {
  AwsSolutionsChecks,
  NagMessageLevel,
  NagPack,
  type NagPackProps,
  rules,
  ServerlessChecks,
} from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag's opt-in rules for queue consumers, which no pre-built pack includes: the visibility
 * timeout of an SQS event source's queue must be at least six times the function's timeout.
 * @see https://github.com/cdklabs/cdk-nag/blob/main/RULES.md#additional-rules
 */
export class QueueConsumerChecks extends NagPack {
  override readonly name = 'QueueConsumer';

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'QueueConsumer';
  }

  protected override checkResource(node: CfnResource): void {
    this.applyRule({
      info: "The SQS queue's visibility timeout is less than six times the consuming function's timeout.",
      explanation:
        'A shorter visibility timeout lets SQS deliver a message again while the poller still ' +
        'retries a throttled invocation of the same batch, so the message is processed twice: ' +
        'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html',
      level: NagMessageLevel.ERROR,
      rule: rules.lambda.LambdaEventSourceSQSVisibilityTimeout,
      node,
    });
  }
}

/**
 * cdk-nag's rules on public Lambda access, which only the NIST, PCI and HIPAA packs include: a
 * function URL without IAM auth, and a resource policy open to every principal. The webhook
 * receiver has both by design; they are acknowledged there, with the reason, so no other function
 * becomes public unnoticed.
 * @see https://github.com/cdklabs/cdk-nag/blob/main/RULES.md
 */
export class FunctionUrlChecks extends NagPack {
  override readonly name = 'FunctionUrl';

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'FunctionUrl';
  }

  protected override checkResource(node: CfnResource): void {
    this.applyRule({
      info: 'The Lambda function URL does not require IAM authentication.',
      explanation:
        'Anyone who learns the URL can invoke the function; it must authenticate every call ' +
        'itself, or the URL must use AWS_IAM.',
      level: NagMessageLevel.ERROR,
      rule: rules.lambda.LambdaFunctionUrlAuth,
      node,
    });
    this.applyRule({
      info: 'The Lambda function permission grants access to every principal.',
      explanation:
        'A resource policy with principal * and no source condition lets anyone invoke the ' +
        'function, the usual companion of a function URL without IAM authentication.',
      level: NagMessageLevel.ERROR,
      rule: rules.lambda.LambdaFunctionPublicAccessProhibited,
      node,
    });
  }
}

/**
 * The rule packs every synth runs: AWS Solutions, Serverless, {@link QueueConsumerChecks} and
 * {@link FunctionUrlChecks}.
 * Register them with `Validations.of(app).addPlugins(...)` (cdk-nag 3 checks through CDK's policy
 * validation, not through Aspects).
 */
export const provisionerNagPacks = (scope: IConstruct, props?: NagPackProps): NagPack[] => [
  new AwsSolutionsChecks(scope, props),
  new ServerlessChecks(scope, props),
  new QueueConsumerChecks(scope, props),
  new FunctionUrlChecks(scope, props),
];
