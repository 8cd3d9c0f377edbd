import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { OperationError } from './errors';

/**
 * Invokes a deployed function synchronously with a JSON event and returns its JSON answer. Our
 * handlers answer every failure they know of in the payload, so a function error here is a crash
 * or a timeout: it becomes an {@link OperationError} naming the function and Lambda's error type.
 */
export const invokeJsonFunction = async <Answer>(
  lambda: LambdaClient,
  functionName: string,
  event: unknown,
  label: string,
): Promise<Answer> => {
  const answer = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(event)),
    }),
  );
  const text = new TextDecoder().decode(answer.Payload ?? new Uint8Array());
  if (answer.FunctionError) {
    let detail = '';
    try {
      const error = JSON.parse(text) as { errorType?: string; errorMessage?: string };
      detail = `: ${error.errorType ?? 'Error'}: ${error.errorMessage ?? ''}`;
    } catch {
      // Lambda's error payload is JSON; anything else says nothing more.
    }
    throw new OperationError(
      `the ${label} function ${functionName} failed (${answer.FunctionError})${detail}`,
      'its logs are in CloudWatch under /aws/lambda/<function name>',
    );
  }

  return JSON.parse(text) as Answer;
};
