import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ConfigurationError } from './errors';
import { type ProductConfig, productConfigSchema } from './product-config';

/** The stack's outputs (lib/provisioner-stack.ts) and the configuration fields they fill. */
const outputFields = {
  ProvisioningQueueUrl: 'provisioningQueueUrl',
  ProvisioningDeadLetterQueueUrl: 'provisioningDeadLetterQueueUrl',
  DeprovisioningQueueUrl: 'deprovisioningQueueUrl',
  DeprovisioningDeadLetterQueueUrl: 'deprovisioningDeadLetterQueueUrl',
  StatusTableName: 'statusTableName',
  AuditFunctionName: 'auditFunctionName',
  ScheduledAuditFunctionName: 'scheduledAuditFunctionName',
} as const;

/** Region and profile the operator chose; unset, the SDK's own resolution decides. */
export interface AwsSettings {
  readonly region?: string;
  readonly profile?: string;
}

/** Reads where the queues, table and functions are from a deployed stack's outputs. */
export const readStackConfig = async (
  stackName: string,
  settings: AwsSettings,
): Promise<ProductConfig> => {
  const client = new CloudFormationClient({ region: settings.region, profile: settings.profile });
  try {
    const region = await client.config.region();
    let outputs: Record<string, string>;
    try {
      const { Stacks = [] } = await client.send(
        new DescribeStacksCommand({ StackName: stackName }),
      );
      outputs = Object.fromEntries(
        (Stacks[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]),
      );
    } catch (error) {
      // CloudFormation reports a missing stack as a ValidationError, like a malformed request.
      if ((error as Error).name === 'ValidationError' && /does not exist/.test(String(error))) {
        throw new ConfigurationError(
          `stack ${stackName} does not exist in ${region}`,
          'deploy it (npx cdk deploy), name it with --stack or --region, or use --local or --config',
          { cause: error },
        );
      }
      throw error;
    }

    const fields = Object.fromEntries(
      Object.entries(outputFields).map(([key, field]) => [field, outputs[key]]),
    );
    const parsed = productConfigSchema.safeParse({ ...fields, mode: 'aws', region });
    if (!parsed.success) {
      const missing = Object.keys(outputFields).filter((key) => !outputs[key]);
      throw new ConfigurationError(
        `stack ${stackName} in ${region} lacks the outputs ${missing.join(', ') || '(malformed values)'}`,
        'deploy the current version of the stack',
      );
    }

    return { ...parsed.data, source: `stack ${stackName} in ${region}` };
  } finally {
    client.destroy();
  }
};
