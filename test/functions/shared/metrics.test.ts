import {
  publishMetrics,
  recordAudit,
  recordColdStart,
  recordLeafCall,
  recordOutcome,
  recordTokenRenewal,
} from '../../../functions/shared/metrics';
import { captureOutput } from '../../helpers/captured-output';
import { type EmfLine, emfLines, seriesSum, seriesValues } from '../../helpers/emf-lines';

const leafUserId = '3f2b8c1e-9d4a-4b6e-8f70-1a2b3c4d5e6f';
const credentialId = 'cred-7d1c9a0e';

/** Runs `record`, publishes, and returns the EMF lines written to stdout. */
const published = (record: () => void): EmfLine[] => {
  const output = captureOutput();
  try {
    record();
    publishMetrics();
  } finally {
    output.restore();
  }

  return emfLines(output.text());
};

describe('metrics', () => {
  const environment = { ...process.env };

  beforeAll(() => {
    // Read when the emitter is built, at the first publish; a test run may disable metrics.
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  });

  beforeEach(() => {
    // Whatever an earlier test left unpublished must not show up in this one.
    published(() => undefined);
  });

  afterAll(() => {
    process.env = environment;
  });

  describe('recordOutcome', () => {
    it('writes a provisioned credential under its operation and action when published', () => {
      // GIVEN
      const outcome = {
        state: 'PROVISIONED',
        action: 'CREATED',
        leafStatus: 'OK',
        credentialId,
      } as const;

      // WHEN
      const lines = published(() => recordOutcome('PROVISION', { kind: 'completed', outcome }));

      // THEN
      const line = lines.find((l) => 'CredentialsProvisioned' in l && 'action' in l);
      expect(line?._aws.CloudWatchMetrics).toEqual([
        {
          Namespace: 'LeafCnhiProvisioner',
          Dimensions: [['service', 'operation', 'action']],
          Metrics: [{ Name: 'CredentialsProvisioned', Unit: 'Count' }],
        },
      ]);
      expect(line).toMatchObject({
        service: 'leaf-cnhi-provisioner',
        operation: 'PROVISION',
        action: 'CREATED',
        CredentialsProvisioned: 1,
      });
      expect(seriesSum(lines, 'CredentialsProvisioned', { operation: 'PROVISION' })).toBe(1);
      expect(seriesSum(lines, 'RequestsHandled', { operation: 'PROVISION' })).toBe(1);
      expect(seriesValues(lines, 'RequestsFailed', { operation: 'PROVISION' })).toEqual([0]);
    });

    it('writes a failure under its reason code when a request is dead-lettered', () => {
      // GIVEN
      const failed = { kind: 'failed', reasonCode: 'LEAF_AUTH_REJECTED' } as const;

      // WHEN
      const lines = published(() => recordOutcome('DEPROVISION', failed));

      // THEN
      const dimensions = { operation: 'DEPROVISION', reasonCode: 'LEAF_AUTH_REJECTED' };
      expect(seriesSum(lines, 'RequestsFailed', dimensions)).toBe(1);
      expect(seriesSum(lines, 'RequestsFailed', { operation: 'DEPROVISION' })).toBe(1);
      expect(seriesSum(lines, 'RequestsHandled', { operation: 'DEPROVISION' })).toBe(1);
    });

    it('counts a retry by reason code when a record is left on the queue', () => {
      // GIVEN
      const retried = { kind: 'retried', reasonCode: 'LEAF_RATE_LIMITED' } as const;

      // WHEN
      const lines = published(() => {
        recordOutcome('PROVISION', retried);
        recordOutcome('PROVISION', retried);
      });

      // THEN
      expect(
        seriesValues(lines, 'RequestsRetried', {
          operation: 'PROVISION',
          reasonCode: 'LEAF_RATE_LIMITED',
        }),
      ).toEqual([2]);
      expect(seriesSum(lines, 'RequestsFailed', { operation: 'PROVISION' })).toBe(0);
    });

    it('counts stale and duplicate deliveries when requests are skipped', () => {
      // GIVEN
      const operation = 'PROVISION';

      // WHEN
      const lines = published(() => {
        recordOutcome(operation, { kind: 'skippedStale' });
        recordOutcome(operation, { kind: 'skippedDuplicate' });
      });

      // THEN
      expect(seriesSum(lines, 'RequestsSkippedStale', { operation })).toBe(1);
      expect(seriesSum(lines, 'DuplicatesSkipped', { operation })).toBe(1);
      expect(seriesSum(lines, 'RequestsHandled', { operation })).toBe(2);
    });

    it('writes no user id, credential id or reason message when an outcome carries them', () => {
      // GIVEN
      const outcome = {
        state: 'FAILED',
        reasonCode: 'LEAF_USER_NOT_FOUND',
        reasonMessage: `Leaf answered 404 for ${leafUserId}`,
        credentialId,
      } as const;

      // WHEN
      const lines = published(() => recordOutcome('PROVISION', { kind: 'completed', outcome }));

      // THEN
      const text = JSON.stringify(lines);
      expect(seriesSum(lines, 'RequestsFailed', { operation: 'PROVISION' })).toBe(1);
      expect(text).not.toContain(leafUserId);
      expect(text).not.toContain(credentialId);
      expect(text).not.toContain('Leaf answered');
    });

    it('files an unknown stored reason as INTERNAL_ERROR when a failed outcome has one', () => {
      // GIVEN
      const outcome = { state: 'FAILED', reasonCode: 'grower 42 said no' } as const;

      // WHEN
      const lines = published(() => recordOutcome('PROVISION', { kind: 'completed', outcome }));

      // THEN
      expect(
        seriesSum(lines, 'RequestsFailed', {
          operation: 'PROVISION',
          reasonCode: 'INTERNAL_ERROR',
        }),
      ).toBe(1);
      expect(JSON.stringify(lines)).not.toContain('grower 42');
    });
  });

  describe('recordLeafCall', () => {
    it('keeps every latency sample by method and counts statuses by class', () => {
      // GIVEN
      const calls = [
        ['GET', 120, 200],
        ['GET', 80, 404],
        ['POST', 300, 429],
        ['AUTHENTICATE', 50, 200],
      ] as const;

      // WHEN
      const lines = published(() => {
        for (const [call, ms, status] of calls) {
          recordLeafCall(call, ms, status);
        }
      });

      // THEN
      expect(seriesValues(lines, 'LeafLatency', { method: 'GET' })).toEqual([120, 80]);
      expect(seriesValues(lines, 'LeafLatency', { method: 'AUTHENTICATE' })).toEqual([50]);
      expect(seriesSum(lines, 'LeafResponses', { method: 'GET', status: '4xx' })).toBe(1);
      expect(seriesSum(lines, 'LeafResponses', { method: 'POST', status: '429' })).toBe(1);
      const latencyLine = lines.find((line) => 'LeafLatency' in line);
      expect(latencyLine?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
        { Name: 'LeafLatency', Unit: 'Milliseconds' },
      ]);
    });

    it('counts but does not time an attempt when no connection was made', () => {
      // GIVEN
      const status = 'NETWORK';

      // WHEN
      const lines = published(() => recordLeafCall('DELETE', 2, status));

      // THEN
      expect(seriesValues(lines, 'LeafLatency', { method: 'DELETE' })).toEqual([]);
      expect(seriesSum(lines, 'LeafResponses', { method: 'DELETE', status: 'NETWORK' })).toBe(1);
    });

    it('splits samples over several lines when one metric has more than 99', () => {
      // GIVEN
      const samples = Array.from({ length: 150 }, (_, i) => i + 1);

      // WHEN
      const lines = published(() => {
        for (const ms of samples) {
          recordLeafCall('GET', ms, 200);
        }
      });

      // THEN
      const latencyLines = lines.filter((line) => 'LeafLatency' in line);
      expect(latencyLines.map((line) => (line.LeafLatency as number[]).length)).toEqual([99, 51]);
      expect(latencyLines.every((line) => line.method === 'GET')).toBe(true);
      expect(seriesValues(lines, 'LeafLatency', { method: 'GET' })).toEqual(samples);
    });
  });

  describe('publishMetrics', () => {
    it('writes each data point once when concurrent invocations publish in turn', () => {
      // GIVEN invocations A and B have each recorded one outcome
      const output = captureOutput();
      recordOutcome('PROVISION', { kind: 'skippedDuplicate' });
      recordOutcome('PROVISION', { kind: 'skippedDuplicate' });

      // WHEN B ends first, A records once more and then ends
      publishMetrics();
      recordOutcome('PROVISION', { kind: 'skippedDuplicate' });
      publishMetrics();
      output.restore();

      // THEN
      const values = seriesValues(emfLines(output.text()), 'DuplicatesSkipped', {
        operation: 'PROVISION',
      });
      expect(values).toEqual([2, 1]);
    });

    it('writes cold starts, token renewals and audits with only low-cardinality dimensions', () => {
      // GIVEN
      const record = () => {
        recordColdStart('AUDIT');
        recordTokenRenewal();
        recordAudit({ agreement: 'DIFFERS' });
        recordAudit({ reasonCode: 'INVALID_LEAF_USER_ID' });
      };

      // WHEN
      const lines = published(record);

      // THEN
      expect(seriesSum(lines, 'ColdStart', { operation: 'AUDIT' })).toBe(1);
      expect(seriesSum(lines, 'LeafTokenRenewals', {})).toBe(1);
      expect(seriesSum(lines, 'AuditsAnswered', { operation: 'AUDIT', agreement: 'DIFFERS' })).toBe(
        1,
      );
      expect(
        seriesSum(lines, 'AuditsFailed', {
          operation: 'AUDIT',
          reasonCode: 'INVALID_LEAF_USER_ID',
        }),
      ).toBe(1);
    });

    it('writes nothing when nothing was recorded', () => {
      // GIVEN nothing recorded since the last publish

      // WHEN
      const output = captureOutput();
      publishMetrics();
      output.restore();

      // THEN
      expect(output.text()).toBe('');
    });
  });
});
