import type { LocalEnvironment } from '../../local/local-environment';
import { defaultChaosOptions } from '../../scripts/chaos/options';
import { silentProgress } from '../../scripts/chaos/progress';
import type { ChaosResult } from '../../scripts/chaos/run';
import { type SerialDynamoDb, startSerialDynamoDb } from '../../scripts/chaos/serial-dynamodb';
import { localAwsEndpoint } from '../helpers/aws-env';

/**
 * A small `npm run chaos`: the same fault mix, token expiries, duplicates and out-of-order
 * requests, through the same handlers, poller, moto and sandbox, with fewer requests so it fits in
 * the suite. The full run is `npm run chaos`.
 */
describe('a fault-injection run', () => {
  const options = { ...defaultChaosOptions, requests: 150, seed: 11, sendRate: 25 };
  let dynamo: SerialDynamoDb;
  let env: LocalEnvironment;
  let result: ChaosResult;

  beforeAll(async () => {
    // moto applies conditional DynamoDB writes atomically only one request at a time (see
    // serial-dynamodb.ts); the SDK clients are built when the modules load, so point them first.
    dynamo = await startSerialDynamoDb(localAwsEndpoint());
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
    const { startLocalEnvironment } = await import('../../local/local-environment');
    const { chaosEnvironmentOptions, runChaos } = await import('../../scripts/chaos/run');
    env = await startLocalEnvironment(chaosEnvironmentOptions(options));
    result = await runChaos(env, options, silentProgress);
  }, 240_000);

  afterAll(async () => {
    await env?.close();
    await dynamo?.close();
    delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  });

  it('GIVEN injected faults WHEN every request settles THEN none is lost, misapplied or leaked', () => {
    // THEN
    expect(result.problems).toEqual([]);
    expect(result.failures).toEqual([]);
    expect(result.figures).toMatchObject({
      requests: options.requests,
      lost: 0,
      wrongFinalState: 0,
      secretLeaks: 0,
      duplicateWrites: 0,
      orderViolations: 0,
      failedNotDeadLettered: 0,
    });
  });

  it('GIVEN the fault mix WHEN the run ends THEN faults really happened and tokens were renewed', () => {
    // THEN: a run without faults or expiries would prove nothing.
    expect(result.figures.faultsInjected).toBeGreaterThan(options.requests / 5);
    expect(result.figures.tokensIssued).toBeGreaterThan(1);
    expect(result.figures.succeeded).toBeGreaterThan(0);
  });

  it('GIVEN permanent 400s WHEN the run ends THEN each is dead-lettered with its reason recorded', () => {
    // THEN
    expect(result.figures.inDlq).toBe(result.figures.failedPermanent + result.figures.exhausted);
    expect(result.figures.unrecordedDeadLetters).toBe(0);
  });
});
