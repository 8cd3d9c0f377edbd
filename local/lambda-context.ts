import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** What the local runner knows about the function it stands in for. */
export interface LambdaContextOptions {
  /** The function's name, as the stack would deploy it. */
  readonly functionName: string;
  /** The function's timeout; `getRemainingTimeInMillis()` counts down from it. */
  readonly timeoutMs: number;
  /**
   * Region in the function ARN.
   * @default - `AWS_REGION`, else `us-east-1`
   */
  readonly region?: string;
  /**
   * Account in the function ARN.
   * @default '123456789012' (moto's default account)
   */
  readonly accountId?: string;
  /** @default 128 */
  readonly memoryLimitInMB?: number;
}

const unsupportedCallback = (name: string) => (): never => {
  // These callbacks predate async handlers; ours return or throw, so a call is a bug to surface.
  throw new Error(`context.${name}() is not supported locally: return or throw from the handler`);
};

/** Builds a Lambda `Context` for one invocation, with a deadline that starts now. */
export const createLambdaContext = (options: LambdaContextOptions): Context => {
  const { functionName, timeoutMs } = options;
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const deadline = Date.now() + timeoutMs;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');

  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 128),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupportedCallback('done'),
    fail: unsupportedCallback('fail'),
    succeed: unsupportedCallback('succeed'),
  };
};
