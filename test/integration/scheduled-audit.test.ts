import { createLeafRuntime } from '../../functions/shared/leaf-runtime';
import { logger } from '../../functions/shared/logger';
import { metricNames } from '../../functions/shared/metric-names';
import { createOutcomePublisher } from '../../functions/shared/outcome-events';
import {
  runScheduledAudit,
  type ScheduledAuditDependencies,
} from '../../functions/shared/scheduled-audit';
import { createScheduledAuditHandler } from '../../functions/shared/scheduled-audit-handler';
import { createLambdaContext } from '../../local/lambda-context';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/local-environment';
import { peekQueue } from '../helpers/aws-inspection';
import { captureOutput } from '../helpers/captured-output';
import { emfLines, seriesSum } from '../helpers/emf-lines';
import { canaryCredentials, canaryMarker } from '../helpers/grower-secrets';
import { provisionGrowers } from '../helpers/webhook-setup';

/**
 * The scheduled audit on moto and the Leaf sandbox: four growers are provisioned through the real
 * queue, then Leaf is changed behind the product's back in three ways, and the audit must notice.
 */
describe('scheduled audit', () => {
  let env: LocalEnvironment;
  let deps: ScheduledAuditDependencies;
  const growers = { absent: '', replaced: '', unhealthy: '', healthy: '' };
  const options = { requestsPerMinute: 6_000, concurrency: 3, timeLeftMs: () => 60_000 };
  const budget = { budgetMs: 10_000 };
  const recordOf = async (leafUserId: string) => {
    const credentialId = (await env.runtime.store.get(leafUserId, 'cnhi'))?.credentialId ?? '';

    return (await env.runtime.store.findByCredentialId(credentialId))[0];
  };

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const output = captureOutput();
    try {
      env = await startLocalEnvironment();
      const [absent, replaced, unhealthy, healthy] = await provisionGrowers(env, 4);
      Object.assign(growers, {
        absent: absent?.leafUserId,
        replaced: replaced?.leafUserId,
        unhealthy: unhealthy?.leafUserId,
        healthy: healthy?.leafUserId,
      });
      // Behind the product's back: removed at Leaf, replaced by another credential, revoked.
      await env.runtime.leaf.deleteCredential(growers.absent, 'cnhi', budget);
      await env.runtime.leaf.deleteCredential(growers.replaced, 'cnhi', budget);
      const other = {
        ...canaryCredentials('PRODUCTION'),
        clientEnvironment: 'PRODUCTION' as const,
      };
      await env.runtime.leaf.createCredential(growers.replaced, 'cnhi', other, budget);
      env.sandbox.setCredentialStatus(growers.unhealthy, 'cnhi', 'TEMPORARILY_UNAVAILABLE');
      deps = {
        leaf: env.runtime.leaf,
        store: env.runtime.store,
        events: createOutcomePublisher({ eventBusName: env.outcomeBus.eventBusName }),
      };
    } finally {
      output.restore();
    }
  });

  afterAll(async () => {
    await env?.close();
  });

  afterEach(() => {
    logger.setLogLevel('SILENT');
  });

  it('notes drift when Leaf holds nothing, another credential id or a status other than OK', async () => {
    // GIVEN
    const { absent, replaced, unhealthy, healthy } = growers;

    // WHEN
    const report = await runScheduledAudit(deps, options);

    // THEN
    expect(report).toMatchObject({ records: 4, agreeing: 1, differing: 3, unhealthy: 1 });
    expect(report.missed).toEqual([]);
    expect(await recordOf(absent)).toMatchObject({
      auditAgreement: 'DIFFERS',
      auditFindings: ['record says provisioned but Leaf holds no credential'],
      leafStatusSource: 'AUDIT',
    });
    expect((await recordOf(absent))?.leafStatus).toBeUndefined();
    expect(await recordOf(replaced)).toMatchObject({
      auditAgreement: 'DIFFERS',
      auditFindings: ['Leaf holds a different credential id than recorded'],
      leafCredentialIdSeen: env.sandbox.credentials(replaced)?.id,
    });
    expect(await recordOf(unhealthy)).toMatchObject({
      auditAgreement: 'DIFFERS',
      auditFindings: ['Leaf reports status TEMPORARILY_UNAVAILABLE'],
      leafStatus: 'TEMPORARILY_UNAVAILABLE',
    });
    expect(await recordOf(healthy)).toMatchObject({ auditAgreement: 'AGREES', leafStatus: 'OK' });
    expect((await recordOf(healthy))?.auditFindings).toBeUndefined();
  });

  it('adds a history entry when drift is found and none when a later run finds the same', async () => {
    // GIVEN
    await runScheduledAudit(deps, options);
    const before = await env.runtime.store.history(growers.absent, 'cnhi', 50);

    // WHEN
    await runScheduledAudit(deps, options);

    // THEN
    const after = await env.runtime.store.history(growers.absent, 'cnhi', 50);
    expect(after).toEqual(before);
    const drift = after.filter((entry) => (entry.outcome as string) === 'DRIFT_FOUND');
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({
      operation: 'SCHEDULED_AUDIT',
      reasonMessage: 'record says provisioned but Leaf holds no credential',
    });
    expect(await env.runtime.store.history(growers.healthy, 'cnhi', 50)).toHaveLength(1);
  });

  it('publishes DriftFound on the outcome bus once per newly drifted record', async () => {
    // GIVEN
    await runScheduledAudit(deps, options);

    // WHEN
    const events = (await peekQueue(env.outcomeBus.observerQueueUrl, 1))
      .map((message) => JSON.parse(message.body) as { 'detail-type': string; detail: never })
      .filter((event) => event['detail-type'] === 'DriftFound');

    // THEN
    const users = events.map((event) => (event.detail as { leafUserId: string }).leafUserId);
    expect(users.sort()).toEqual([growers.absent, growers.replaced, growers.unhealthy].sort());
  });

  it('counts unhealthy and drifted credentials in metrics when the function runs', async () => {
    // GIVEN
    const handler = createScheduledAuditHandler(
      { ...env.provisionConfig, auditRequestsPerMinute: 6_000, auditConcurrency: 3 },
      env.runtime,
    );
    const output = captureOutput();

    // WHEN
    let summary: Awaited<ReturnType<typeof handler>>;
    try {
      summary = await handler(
        {},
        createLambdaContext({ functionName: 'audit', timeoutMs: 60_000 }),
      );
    } finally {
      output.restore();
    }

    // THEN
    expect(summary).toMatchObject({ records: 4, audited: 4, differing: 3, unhealthy: 1 });
    const emf = emfLines(output.text());
    expect(seriesSum(emf, metricNames.unhealthyCredentials, {})).toBe(1);
    expect(seriesSum(emf, metricNames.driftedCredentials, {})).toBe(3);
    expect(output.text()).not.toContain(canaryMarker);
  });

  it('spaces its Leaf reads by the configured requests per minute', async () => {
    // GIVEN
    const paced = { ...options, requestsPerMinute: 300, concurrency: 4, write: false };
    const started = performance.now();

    // WHEN
    const report = await runScheduledAudit(deps, paced);

    // THEN
    // Four reads 200 ms apart: the last starts 600 ms after the first, however many run at once.
    expect(report.audited).toHaveLength(4);
    expect(performance.now() - started).toBeGreaterThanOrEqual(590);
  });

  it('leaves every record for the next run when too little time is left', async () => {
    // GIVEN
    const requests = env.sandbox.stats().requests;

    // WHEN
    const report = await runScheduledAudit(deps, { ...options, timeLeftMs: () => 5_000 });

    // THEN
    expect(report.audited).toEqual([]);
    expect(report.missed.map((miss) => miss.reasonCode)).toEqual(Array(4).fill('NOT_ENOUGH_TIME'));
    expect(env.sandbox.stats().requests).toBe(requests);
  });

  it('drops its note when a request changed the record after the audit read it', async () => {
    // GIVEN
    const store = env.runtime.store;
    const staleStore: ScheduledAuditDependencies['store'] = {
      async *currentRecords() {
        for await (const page of store.currentRecords()) {
          yield page.map((record) => ({ ...record, updatedAt: '2000-01-01T00:00:00.000Z' }));
        }
      },
      recordAudit: (seen, note, history) => store.recordAudit(seen, note, history),
    };
    const before = await recordOf(growers.healthy);

    // WHEN
    const report = await runScheduledAudit({ ...deps, store: staleStore }, options);

    // THEN
    expect(report.audited.map((audited) => audited.noted)).toEqual(Array(4).fill('changed'));
    expect(await recordOf(growers.healthy)).toEqual(before);
  });

  it('stops and throws when Leaf cannot be reached as the API owner', async () => {
    // GIVEN
    const runtime = createLeafRuntime({
      ...env.provisionConfig,
      leafApiOwnerSecretId: `${env.resources.apiOwnerSecretId}-missing`,
    });

    // WHEN
    const run = runScheduledAudit({ leaf: runtime.leaf, store: runtime.store }, options);

    // THEN
    await expect(run).rejects.toMatchObject({ reason: 'API_OWNER_SECRET_INVALID' });
  });
});
