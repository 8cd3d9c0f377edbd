import { randomUUID } from 'node:crypto';
import { logger } from '../../functions/shared/logger';
import { metricDimensions } from '../../functions/shared/metric-names';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { captureOutput } from '../helpers/captured-output';
import { type EmfLine, emfLines, seriesSum, seriesValues } from '../helpers/emf-lines';
import { canaryCredentials } from '../helpers/grower-secrets';
import { findCanaries } from '../helpers/leak-check';

/** A Powertools Logger line; record lines also carry the per-record keys. */
interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [key: string]: unknown;
}

const logLines = (text: string): LogLine[] =>
  text.split('\n').flatMap((line) => {
    try {
      const value = JSON.parse(line) as Partial<LogLine> | null;

      return value && typeof value.level === 'string' && !('_aws' in value)
        ? [value as LogLine]
        : [];
    } catch {
      return [];
    }
  });

// Sent in bodies and never to be written anywhere: bodies are not logged at any level.
const bodyMarker = `BODY-MARKER-${randomUUID()}`;

/**
 * What an operator sees of a few requests run through the real handlers on moto and the Leaf
 * sandbox: the EMF lines the handlers print, and the keys of their log lines. The local pollers
 * invoke a handler concurrently, as Lambda would not, so the totals also show that concurrent
 * invocations publish every data point exactly once.
 */
describe('observability', () => {
  const environment = { ...process.env };
  let env: LocalEnvironment;
  let text: string;
  let emf: EmfLine[];
  let logs: LogLine[];
  const ids = { good: '', late: '', flaky: '', outsider: '', notJson: '' };

  const newGrower = async () => {
    const leafUserId = randomUUID();
    env.sandbox.addUser(leafUserId);
    const secretId = await env.putGrowerSecret(`cnhi/${leafUserId}`, canaryCredentials());

    return { leafUserId, secretId };
  };

  beforeAll(async () => {
    // Read when the metrics emitter is built, at the first publish; a test run may disable them.
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    env = await startLocalEnvironment({ maxAttempts: 3, visibilityTimeoutSeconds: 1 });
    const [good, late, flaky] = [await newGrower(), await newGrower(), await newGrower()];
    ids.good = good.leafUserId;
    ids.late = late.leafUserId;
    ids.flaky = flaky.leafUserId;
    ids.outsider = randomUUID();
    env.sandbox.injectFault({
      kind: 'status',
      status: 503,
      body: 'html',
      times: 1,
      match: { method: 'POST', path: flaky.leafUserId },
    });

    logger.setLogLevel('DEBUG');
    const output = captureOutput();
    try {
      // A success, a transient failure that succeeds on redelivery, two permanent failures.
      await Promise.all([
        env.enqueueProvision({ ...good, correlationId: 'obs-good', note: bodyMarker }),
        env.enqueueProvision(flaky),
        env.enqueueProvision({ leafUserId: ids.outsider, secretId: 'elsewhere/secret' }),
        env.enqueueProvision(`{"note": "${bodyMarker}", `).then((id) => {
          ids.notJson = id;
        }),
      ]);
      await env.drain();
      // Leaf forgets the provisioning function's token: its next call must renew it.
      env.sandbox.expireTokens();
      await Promise.all([
        env.enqueueProvision({ ...good, requestedAt: '2020-01-01T00:00:00.000Z' }),
        env.enqueueProvision(late),
      ]);
      await env.drain();
      await env.enqueueDeprovision({ leafUserId: good.leafUserId, correlationId: 'obs-remove' });
      await env.drain();
      await env.audit(good.leafUserId);
    } finally {
      output.restore();
      logger.setLogLevel('SILENT');
    }
    text = output.text();
    emf = emfLines(text);
    logs = logLines(text);
  });

  afterAll(async () => {
    await env?.close();
    process.env = environment;
  });

  describe('metrics', () => {
    it('counts each record delivery once by operation when pollers run concurrently', () => {
      // GIVEN the requests sent in beforeAll
      const provision = { operation: 'PROVISION' };

      // WHEN
      const handled = seriesSum(emf, 'RequestsHandled', provision);

      // THEN 6 requests, one of which was delivered twice
      expect(handled).toBe(7);
      expect(seriesSum(emf, 'RequestsHandled', { operation: 'DEPROVISION' })).toBe(1);
    });

    it('counts outcomes by action and reason code when requests end', () => {
      // GIVEN the requests sent in beforeAll
      const provision = { operation: 'PROVISION' };

      // WHEN
      const created = seriesSum(emf, 'CredentialsProvisioned', { ...provision, action: 'CREATED' });

      // THEN
      expect(created).toBe(3);
      expect(
        seriesSum(emf, 'RequestsRetried', { ...provision, reasonCode: 'LEAF_SERVER_ERROR' }),
      ).toBe(1);
      expect(seriesSum(emf, 'RequestsFailed', provision)).toBe(2);
      for (const reasonCode of ['SECRET_OUTSIDE_PREFIX', 'MESSAGE_NOT_JSON']) {
        expect(seriesSum(emf, 'RequestsFailed', { ...provision, reasonCode })).toBe(1);
      }
      expect(seriesSum(emf, 'RequestsSkippedStale', provision)).toBe(1);
      expect(
        seriesSum(emf, 'CredentialsRemoved', { operation: 'DEPROVISION', action: 'REMOVED' }),
      ).toBe(1);
    });

    it('times every Leaf attempt by method and counts token renewals', () => {
      // GIVEN the requests sent in beforeAll

      // WHEN
      const latency = (method: string) => seriesValues(emf, 'LeafLatency', { method });

      // THEN
      for (const method of ['GET', 'POST', 'DELETE', 'AUTHENTICATE']) {
        expect(latency(method).length).toBeGreaterThan(0);
        expect(latency(method).every((ms) => ms >= 0 && ms < 10_000)).toBe(true);
      }
      expect(seriesSum(emf, 'LeafResponses', { method: 'POST', status: '5xx' })).toBe(1);
      // Provisioning twice (once after Leaf expired its token), deprovisioning and the audit once.
      expect(seriesSum(emf, 'LeafTokenRenewals', {})).toBe(4);
    });

    it('counts one cold start per function when each is first invoked', () => {
      // GIVEN the requests sent in beforeAll

      // WHEN
      const coldStarts = ['PROVISION', 'DEPROVISION', 'AUDIT'].map((operation) =>
        seriesSum(emf, 'ColdStart', { operation }),
      );

      // THEN
      expect(coldStarts).toEqual([1, 1, 1]);
      expect(seriesSum(emf, 'AuditsAnswered', { operation: 'AUDIT', agreement: 'AGREES' })).toBe(1);
    });

    it('prints nothing but JSON lines, so no library warning fires on each publish', () => {
      // GIVEN the requests sent in beforeAll

      // WHEN
      const other = text.split('\n').filter((line) => {
        try {
          return line.trim() !== '' && typeof JSON.parse(line) !== 'object';
        } catch {
          return true;
        }
      });

      // THEN
      expect(other).toEqual([]);
    });

    it('writes only namespaced, low-cardinality lines when metrics are published', () => {
      // GIVEN the requests sent in beforeAll
      const allowed = Object.values(metricDimensions);

      // WHEN
      const directives = emf.flatMap((line) => line._aws.CloudWatchMetrics);

      // THEN
      expect(directives.length).toBeGreaterThan(0);
      for (const directive of directives) {
        expect(directive.Namespace).toBe('LeafCnhiProvisioner');
        for (const set of directive.Dimensions) {
          expect(allowed).toEqual(expect.arrayContaining([...set]));
        }
      }
      const emfText = JSON.stringify(emf);
      for (const leafUserId of [ids.good, ids.late, ids.flaky, ids.outsider]) {
        expect(emfText).not.toContain(leafUserId);
      }
    });
  });

  describe('logs', () => {
    it('puts the message id, user, provider and correlation id on every line of a record', () => {
      // GIVEN the requests sent in beforeAll

      // WHEN
      const recordLines = logs.filter((line) => typeof line.messageId === 'string');

      // THEN
      expect(recordLines.length).toBeGreaterThan(0);
      for (const line of recordLines.filter((l) => l.messageId !== ids.notJson)) {
        expect(line).toMatchObject({
          leafUserId: expect.any(String),
          provider: 'cnhi',
          operation: expect.stringMatching(/^(PROVISION|DEPROVISION)$/),
        });
      }
      const goodLines = recordLines.filter(
        (l) => l.leafUserId === ids.good && l.operation === 'PROVISION' && l.attempt === 1,
      );
      expect(goodLines.some((l) => l.correlationId === 'obs-good')).toBe(true);
      const removal = recordLines.filter((l) => l.operation === 'DEPROVISION');
      expect(removal.length).toBeGreaterThan(0);
      expect(removal.every((l) => l.correlationId === 'obs-remove')).toBe(true);
    });

    it('gives every warning and error about a record its reason code', () => {
      // GIVEN the requests sent in beforeAll

      // WHEN
      const problems = logs.filter(
        (line) => typeof line.messageId === 'string' && ['WARN', 'ERROR'].includes(line.level),
      );

      // THEN
      expect(problems.map((line) => line.reasonCode)).toEqual(
        expect.arrayContaining(['LEAF_SERVER_ERROR', 'SECRET_OUTSIDE_PREFIX', 'MESSAGE_NOT_JSON']),
      );
      for (const line of problems.filter((l) => l.message !== 'retry delay not set')) {
        expect(line.reasonCode).toEqual(expect.any(String));
      }
    });

    it('writes no message body and no secret at any level', () => {
      // GIVEN the requests sent in beforeAll, logged at DEBUG

      // WHEN
      const leaks = findCanaries(text);

      // THEN
      expect(logs.some((line) => line.level === 'DEBUG' || line.level === 'INFO')).toBe(true);
      expect(leaks).toEqual([]);
      expect(text).not.toContain(bodyMarker);
    });
  });
});
