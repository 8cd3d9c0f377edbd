import { App } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  ConfigError,
  consumerLeafRequestsPerMinute,
  defaultConfig,
  parseConfig,
} from '../../lib/config';

const readerOf =
  (context: Record<string, unknown>) =>
  (key: string): unknown =>
    context[key];

describe('parseConfig', () => {
  it('returns the documented defaults when context sets nothing', () => {
    // GIVEN
    const read = readerOf({});

    // WHEN
    const config = parseConfig(read);

    // THEN
    expect(config).toEqual(defaultConfig);
    expect(config.alarmEmail).toBeUndefined();
  });

  it('reads numbers and booleans given as strings on the command line', () => {
    // GIVEN
    const read = readerOf({
      maxConcurrency: '20',
      maxAttempts: '3',
      logRetentionDays: '90',
      bundleAwsSdk: 'false',
      alarmEmail: ' ops@example.com ',
    });

    // WHEN
    const config = parseConfig(read);

    // THEN
    expect(config).toMatchObject({
      maxConcurrency: 20,
      maxAttempts: 3,
      logRetentionDays: RetentionDays.THREE_MONTHS,
      bundleAwsSdk: false,
      alarmEmail: 'ops@example.com',
    });
  });

  it('reads the context of a CDK app', () => {
    // GIVEN
    const app = new App({ context: { growerSecretPrefix: 'growers/cnhi/', maxConcurrency: 8 } });

    // WHEN
    const config = parseConfig((key) => app.node.tryGetContext(key));

    // THEN
    expect(config.growerSecretPrefix).toBe('growers/cnhi/');
    expect(config.maxConcurrency).toBe(8);
  });

  it.each([
    [{ maxConcurrency: 1 }, /^maxConcurrency must be an integer between 2 and 1000 \(given 1\)$/],
    [{ maxConcurrency: '1001' }, /^maxConcurrency .* between 2 and 1000 \(given "1001"\)$/],
    [{ maxConcurrency: 2.5 }, /^maxConcurrency .* \(given 2\.5\)$/],
    [{ maxAttempts: 0 }, /^maxAttempts must be an integer between 1 and 1000 \(given 0\)$/],
    [{ maxAttempts: 'five' }, /^maxAttempts .* \(given "five"\)$/],
    [{ leafApiBaseUrl: 'http://api.withleaf.io' }, /^leafApiBaseUrl must be an https URL/],
    [
      { leafApiBaseUrl: 'not a url' },
      /^leafApiBaseUrl must be an https URL \(given "not a url"\)$/,
    ],
    [
      { growerSecretPrefix: 'leaf/cnhi' },
      /^growerSecretPrefix .* ends with \/.*\(given "leaf\/cnhi"\)$/,
    ],
    [{ growerSecretPrefix: 'leaf/*/' }, /^growerSecretPrefix .*\(given "leaf\/\*\/"\)$/],
    [{ growerSecretPrefix: '/' }, /^growerSecretPrefix .*\(given "\/"\)$/],
    [
      { leafApiOwnerSecretName: 'leaf/cnhi/owner' },
      /^leafApiOwnerSecretName must not lie under growerSecretPrefix "leaf\/cnhi\/"/,
    ],
    [{ logRetentionDays: 2 }, /^logRetentionDays must be one of 1, 3, 5, 7, .* \(given 2\)$/],
    [{ retryMaxDelaySeconds: 5 }, /^retryMaxDelaySeconds .* between 10 and 43200 \(given 5\)$/],
    [{ bundleAwsSdk: 'yes' }, /^bundleAwsSdk must be true or false \(given "yes"\)$/],
    [{ alarmEmail: 'ops' }, /^alarmEmail must be an e-mail address \(given "ops"\)$/],
    [
      { consumerTimeoutSeconds: 24, recordConcurrency: 10 },
      /^consumerTimeoutSeconds must exceed 24, .* \(given 24\)$/,
    ],
    [
      { recordConcurrency: 1, consumerTimeoutSeconds: 30 },
      /^consumerTimeoutSeconds must exceed 240, .*recordConcurrency 1/,
    ],
    [
      { leafRateLimitPerMinute: 1 },
      /^leafRateLimitPerMinute .* between 2 and 1000000 \(given 1\)$/,
    ],
    [
      { auditRequestsPerMinute: 1000 },
      /^auditRequestsPerMinute must be below leafRateLimitPerMinute \(1000\).* \(given 1000\)$/,
    ],
    [
      { maxConcurrency: 500 },
      /^maxConcurrency leaves each of the 1000 consumer environments less than 1 Leaf request a minute .* \(given 500\)$/,
    ],
  ])('throws a ConfigError naming the key and the value for %j', (context, message) => {
    // GIVEN
    const read = readerOf(context);

    // WHEN / THEN
    expect(() => parseConfig(read)).toThrow(ConfigError);
    expect(() => parseConfig(read)).toThrow(message);
  });

  it('accepts a slower batch when the consumer timeout covers it', () => {
    // GIVEN
    const read = readerOf({ recordConcurrency: 1, consumerTimeoutSeconds: 300 });

    // WHEN
    const config = parseConfig(read);

    // THEN
    expect(config.consumerTimeoutSeconds).toBe(300);
  });

  it('gives each consumer environment an equal share of what the audit leaves of Leaf’s limit', () => {
    // GIVEN the defaults: 1000 a minute, 200 for the audit, 2 queues × 2 environments
    const config = parseConfig(readerOf({}));

    // WHEN
    const share = consumerLeafRequestsPerMinute(config);

    // THEN
    expect(share).toBe(200);
  });

  it('rounds a consumer environment’s share down, so the shares never exceed the limit', () => {
    // GIVEN 1000 − 100 = 900 a minute over 2 queues × 7 environments
    const config = parseConfig(
      readerOf({ maxConcurrency: 7, auditRequestsPerMinute: 100, leafRateLimitPerMinute: 1000 }),
    );

    // WHEN
    const share = consumerLeafRequestsPerMinute(config);

    // THEN
    expect(share).toBe(64);
    expect(share * 14 + 100).toBeLessThanOrEqual(1000);
  });
});
