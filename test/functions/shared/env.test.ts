import {
  ConfigurationError,
  readConsumerConfig,
  readLeafConfig,
  readProvisionConfig,
} from '../../../functions/shared/env';

const leafEnv = {
  LEAF_API_BASE_URL: 'https://api.withleaf.io',
  LEAF_API_OWNER_SECRET_ID: 'leaf/api-owner',
  STATUS_TABLE_NAME: 'leaf-cnhi-status',
};

const consumerEnv = {
  ...leafEnv,
  SOURCE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/provision',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/provision-dlq',
  OUTCOME_EVENT_BUS_NAME: 'leaf-cnhi-outcomes',
};

describe('readLeafConfig', () => {
  it('reads every variable when all are set', () => {
    // GIVEN
    const env = { ...leafEnv, LEAF_REQUEST_TIMEOUT_MS: '2500' };

    // WHEN
    const config = readLeafConfig(env);

    // THEN
    expect(config).toEqual({
      leafApiBaseUrl: 'https://api.withleaf.io',
      leafApiOwnerSecretId: 'leaf/api-owner',
      leafRequestTimeoutMs: 2500,
      statusTableName: 'leaf-cnhi-status',
    });
  });

  it('reads the execution environment’s share of Leaf’s rate limit when it is set', () => {
    // GIVEN
    const env = { ...leafEnv, LEAF_REQUESTS_PER_MINUTE: '200' };

    // WHEN
    const config = readLeafConfig(env);

    // THEN
    expect(config.leafRequestsPerMinute).toBe(200);
  });

  it('leaves Leaf requests unpaced when the share is unset', () => {
    // GIVEN local tools set no share
    const env = leafEnv;

    // WHEN
    const config = readLeafConfig(env);

    // THEN
    expect(config.leafRequestsPerMinute).toBeUndefined();
  });

  it('refuses a share below 1 request a minute', () => {
    // GIVEN
    const env = { ...leafEnv, LEAF_REQUESTS_PER_MINUTE: '0' };

    // WHEN / THEN
    expect(() => readLeafConfig(env)).toThrow(/LEAF_REQUESTS_PER_MINUTE must be an integer from 1/);
  });

  it('defaults the request timeout to 8 seconds when it is unset', () => {
    // GIVEN
    const env = leafEnv;

    // WHEN
    const config = readLeafConfig(env);

    // THEN
    expect(config.leafRequestTimeoutMs).toBe(8_000);
  });

  it('trims whitespace when a value has some', () => {
    // GIVEN
    const env = {
      ...leafEnv,
      STATUS_TABLE_NAME: '  leaf-cnhi-status\n',
      LEAF_REQUEST_TIMEOUT_MS: ' 900 ',
    };

    // WHEN
    const config = readLeafConfig(env);

    // THEN
    expect(config).toMatchObject({
      statusTableName: 'leaf-cnhi-status',
      leafRequestTimeoutMs: 900,
    });
  });

  it.each(Object.keys(leafEnv))('names %s when it is missing', (name) => {
    // GIVEN
    const env: Record<string, string | undefined> = { ...leafEnv, [name]: undefined };

    // WHEN / THEN
    expect(() => readLeafConfig(env)).toThrow(
      new ConfigurationError(`environment variable ${name} is required`),
    );
  });

  it('names a variable when it holds only whitespace', () => {
    // GIVEN
    const env = { ...leafEnv, LEAF_API_BASE_URL: '   ' };

    // WHEN / THEN
    expect(() => readLeafConfig(env)).toThrow('environment variable LEAF_API_BASE_URL is required');
  });

  it.each([
    { value: 'eight', case: 'it is not a number' },
    { value: '1.5', case: 'it is a fraction' },
    { value: '99', case: 'it is below the minimum' },
    { value: '60001', case: 'it is above the maximum' },
  ])('quotes the given value when $case', ({ value }) => {
    // GIVEN
    const env = { ...leafEnv, LEAF_REQUEST_TIMEOUT_MS: value };

    // WHEN / THEN
    expect(() => readLeafConfig(env)).toThrow(
      `environment variable LEAF_REQUEST_TIMEOUT_MS must be an integer from 100 to 60000 (given ${value})`,
    );
  });

  it('throws a ConfigurationError when a value is bad', () => {
    // GIVEN
    const env = { ...leafEnv, LEAF_REQUEST_TIMEOUT_MS: 'eight' };

    // WHEN / THEN
    expect(() => readLeafConfig(env)).toThrow(ConfigurationError);
  });
});

describe('readConsumerConfig', () => {
  it('applies the documented defaults when the tuning variables are unset', () => {
    // GIVEN
    const env = consumerEnv;

    // WHEN
    const config = readConsumerConfig(env);

    // THEN
    expect(config).toMatchObject({
      sourceQueueUrl: consumerEnv.SOURCE_QUEUE_URL,
      deadLetterQueueUrl: consumerEnv.DEAD_LETTER_QUEUE_URL,
      maxAttempts: 5,
      retryBaseDelaySeconds: 10,
      retryMaxDelaySeconds: 900,
      recordConcurrency: 10,
    });
  });

  it('reads the tuning variables when they are set', () => {
    // GIVEN
    const env = {
      ...consumerEnv,
      MAX_ATTEMPTS: '8',
      RETRY_BASE_DELAY_SECONDS: '0',
      RETRY_MAX_DELAY_SECONDS: '43200',
      RECORD_CONCURRENCY: '1',
    };

    // WHEN
    const config = readConsumerConfig(env);

    // THEN
    expect(config).toMatchObject({
      maxAttempts: 8,
      retryBaseDelaySeconds: 0,
      retryMaxDelaySeconds: 43_200,
      recordConcurrency: 1,
    });
  });

  it.each(['SOURCE_QUEUE_URL', 'DEAD_LETTER_QUEUE_URL'])('names %s when it is missing', (name) => {
    // GIVEN
    const env: Record<string, string | undefined> = { ...consumerEnv, [name]: undefined };

    // WHEN / THEN
    expect(() => readConsumerConfig(env)).toThrow(`environment variable ${name} is required`);
  });

  it('names both delays when the cap is below the base', () => {
    // GIVEN
    const env = { ...consumerEnv, RETRY_BASE_DELAY_SECONDS: '60', RETRY_MAX_DELAY_SECONDS: '30' };

    // WHEN / THEN
    expect(() => readConsumerConfig(env)).toThrow(
      'RETRY_MAX_DELAY_SECONDS (30) is below RETRY_BASE_DELAY_SECONDS (60)',
    );
  });

  it('quotes the value when RECORD_CONCURRENCY is zero', () => {
    // GIVEN
    const env = { ...consumerEnv, RECORD_CONCURRENCY: '0' };

    // WHEN / THEN
    expect(() => readConsumerConfig(env)).toThrow(
      'environment variable RECORD_CONCURRENCY must be an integer from 1 to 100 (given 0)',
    );
  });
});

describe('readProvisionConfig', () => {
  const savedEnv = process.env;

  beforeEach(() => {
    process.env = { ...savedEnv };
  });

  afterAll(() => {
    process.env = savedEnv;
  });

  it('defaults the grower secret prefix to leaf/cnhi/ when it is unset', () => {
    // GIVEN
    const env = consumerEnv;

    // WHEN
    const config = readProvisionConfig(env);

    // THEN
    expect(config.growerSecretPrefix).toBe('leaf/cnhi/');
  });

  it('reads the grower secret prefix when it is set', () => {
    // GIVEN
    const env = { ...consumerEnv, GROWER_SECRET_PREFIX: 'growers/cnh/' };

    // WHEN
    const config = readProvisionConfig(env);

    // THEN
    expect(config.growerSecretPrefix).toBe('growers/cnh/');
  });

  it('reads the process environment when it is passed in', () => {
    // GIVEN
    for (const [name, value] of Object.entries(consumerEnv)) {
      process.env[name] = value;
    }
    process.env.GROWER_SECRET_PREFIX = 'growers/from-process/';
    process.env.MAX_ATTEMPTS = '3';

    // WHEN
    const config = readProvisionConfig(process.env);

    // THEN
    expect(config).toMatchObject({ growerSecretPrefix: 'growers/from-process/', maxAttempts: 3 });
  });
});
