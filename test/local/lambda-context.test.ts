import { setTimeout as sleep } from 'node:timers/promises';
import { createLambdaContext } from '../../local/lambda-context';

describe('createLambdaContext', () => {
  it('counts the remaining time down from the timeout when time passes', async () => {
    // GIVEN
    const context = createLambdaContext({ functionName: 'provision', timeoutMs: 1_000 });
    const atStart = context.getRemainingTimeInMillis();

    // WHEN
    await sleep(120);

    // THEN
    expect(atStart).toBeGreaterThan(900);
    expect(atStart).toBeLessThanOrEqual(1_000);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(atStart - 100);
  });

  it('stops at zero when the timeout has passed', async () => {
    // GIVEN
    const context = createLambdaContext({ functionName: 'provision', timeoutMs: 20 });

    // WHEN
    await sleep(50);

    // THEN
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });

  it('names the function in its ARN, log group and version when created', () => {
    // GIVEN
    const options = { functionName: 'deprovision', timeoutMs: 5_000, region: 'eu-west-1' };

    // WHEN
    const context = createLambdaContext({ ...options, accountId: '111122223333' });

    // THEN
    expect(context).toMatchObject({
      functionName: 'deprovision',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:deprovision',
      logGroupName: '/aws/lambda/deprovision',
      memoryLimitInMB: '128',
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('throws when a handler calls a pre-async callback', () => {
    // GIVEN
    const context = createLambdaContext({ functionName: 'provision', timeoutMs: 1_000 });

    // WHEN / THEN
    expect(() => context.succeed('done')).toThrow(/not supported locally/);
  });
});
