import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { OperationError } from '../../cli/errors';
import { invokeJsonFunction } from '../../cli/invoke-function';

// moto runs no Lambda code, so the invoker is tested against Lambda's documented answers.
describe('invokeJsonFunction', () => {
  const lambda = mockClient(LambdaClient);
  // The SDK wraps a payload in a blob adapter; the invoker only decodes its bytes.
  const bytes = (text: string) =>
    new TextEncoder().encode(text) as unknown as InvokeCommandOutput['Payload'];
  const encode = (value: unknown) => bytes(JSON.stringify(value));

  beforeEach(() => lambda.reset());

  it('GIVEN a function that answers WHEN invoked THEN sends the event and returns the answer', async () => {
    // GIVEN
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ agree: true }) });

    // WHEN
    const answer = await invokeJsonFunction(new LambdaClient({}), 'audit-fn', { a: 1 }, 'audit');

    // THEN
    expect(answer).toEqual({ agree: true });
    const sent = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(sent?.FunctionName).toBe('audit-fn');
    expect(sent?.InvocationType).toBe('RequestResponse');
    expect(new TextDecoder().decode(sent?.Payload as Uint8Array)).toBe('{"a":1}');
  });

  it('GIVEN a function that crashed WHEN invoked THEN throws an operation error naming it', async () => {
    // GIVEN
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'Runtime.ExitError', errorMessage: 'exited' }),
    });

    // WHEN
    const invoking = invokeJsonFunction(new LambdaClient({}), 'audit-fn', {}, 'scheduled audit');

    // THEN
    await expect(invoking).rejects.toThrow(OperationError);
    await expect(invoking).rejects.toThrow(
      'the scheduled audit function audit-fn failed (Unhandled): Runtime.ExitError: exited',
    );
  });

  it('GIVEN a crash whose payload is not JSON WHEN invoked THEN still names the function', async () => {
    // GIVEN
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: bytes('Task timed out'),
    });

    // WHEN
    const invoking = invokeJsonFunction(new LambdaClient({}), 'audit-fn', {}, 'audit');

    // THEN
    await expect(invoking).rejects.toThrow('the audit function audit-fn failed (Unhandled)');
  });
});
