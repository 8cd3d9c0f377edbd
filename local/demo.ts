import { randomUUID } from 'node:crypto';
import { peekQueueForDemo } from './demo-inspection';
import { formatTable } from './format-table';
import { motoClientEnvironment, startMoto } from './moto-server';

/**
 * `npm run demo`: the whole product on one machine. Starts moto and the Leaf sandbox, creates what
 * the stack would create, seeds growers, sends provisioning requests (good and bad ones) through
 * the real handlers, removes one grower, audits another, prints what happened and stops it all.
 */

// The functions run on Node.js 24 in Lambda; locally the SDK's notice about Node.js 20 is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The functions log JSON lines; the demo shows tables instead unless asked for the logs.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Likewise their embedded-metric-format lines, which CloudWatch reads in Lambda.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const step = (text: string) => console.log(`\n▸ ${text}`);

const main = async () => {
  const started = Date.now();
  step('starting moto (AWS emulator) and the Leaf sandbox');
  const moto = await startMoto();
  Object.assign(process.env, motoClientEnvironment(moto.endpoint));
  // Loaded after the environment points at moto, so every SDK client is built against it.
  const { startLocalEnvironment } = await import('./local-environment');
  const env = await startLocalEnvironment({ namePrefix: `demo-${Date.now().toString(36)}` });
  console.log(`  moto ${moto.endpoint}, Leaf sandbox ${env.sandbox.url}`);

  try {
    step('seeding grower secrets under the prefix and the Leaf users');
    const growers = ['cnhi', 'cnhi', 'cnhi-fieldops', 'cnhi-fieldops', 'cnhi'].map(
      (provider, i) => ({
        name: `grower-${i + 1}`,
        leafUserId: randomUUID(),
        provider,
      }),
    );
    for (const grower of growers) {
      env.sandbox.addUser(grower.leafUserId);
      // Named as the secret-change trigger expects: <prefix><provider>/<leafUserId>.
      await env.putGrowerSecret(`${grower.provider}/${grower.leafUserId}`, {
        clientId: `demo-client-${grower.name}`,
        clientSecret: `demo-secret-${randomUUID()}`,
        subscriptionKey: `demo-subscription-${randomUUID()}`,
        refreshToken: `demo-refresh-${randomUUID()}`,
        ...(grower.provider === 'cnhi' ? { clientEnvironment: 'PRODUCTION' } : {}),
      });
    }
    console.log(`  ${growers.length} growers, secrets under ${env.resources.growerSecretPrefix}`);

    step('enqueueing provisioning requests, a malformed one and one for an unknown Leaf user');
    for (const grower of growers) {
      await env.enqueueProvision({
        leafUserId: grower.leafUserId,
        secretId: `${env.resources.growerSecretPrefix}${grower.provider}/${grower.leafUserId}`,
        provider: grower.provider,
        correlationId: `demo-${grower.name}`,
      });
    }
    await env.enqueueProvision('{"leafUserId": "not even JSON');
    const unknownUser = randomUUID();
    await env.enqueueProvision({
      leafUserId: unknownUser,
      // grower-1's own secret, sent for a Leaf user the sandbox does not know
      secretId: `${env.resources.growerSecretPrefix}cnhi/${growers[0]?.leafUserId}`,
      correlationId: 'demo-unknown-user',
    });
    // One transient Leaf failure, to show a retry that ends well.
    env.sandbox.injectFault({
      kind: 'status',
      status: 503,
      times: 1,
      match: { method: 'POST', route: 'credentials' },
    });
    await env.drain();

    step(`deprovisioning ${growers[0]?.name}`);
    await env.enqueueDeprovision({ leafUserId: growers[0]?.leafUserId, provider: 'cnhi' });
    await env.drain();

    const audited = growers[2];
    step(`auditing ${audited?.name} (${audited?.provider})`);
    const answer = await env.audit(audited?.leafUserId ?? '', audited?.provider);
    console.log(JSON.stringify(answer, null, 2).replace(/^/gm, '  '));

    step('status records');
    const rows = [];
    for (const grower of [
      ...growers,
      { name: '(unknown user)', leafUserId: unknownUser, provider: 'cnhi' },
    ]) {
      const record = await env.runtime.store.get(grower.leafUserId, grower.provider as 'cnhi');
      rows.push({
        grower: grower.name,
        leafUserId: `${grower.leafUserId.slice(0, 8)}…`,
        provider: grower.provider,
        state: record?.state ?? '-',
        action: record?.action ?? '-',
        leafStatus: record?.leafStatus ?? '-',
        attempts: String(record?.attempts ?? '-'),
        reason: record?.reasonCode ?? '',
      });
    }
    console.log(formatTable(rows));

    step('dead-letter queues');
    const dead = [
      ...(await peekQueueForDemo(env.resources.provisioningDlqUrl, 'provisioning')),
      ...(await peekQueueForDemo(env.resources.deprovisioningDlqUrl, 'deprovisioning')),
    ];
    console.log(dead.length ? formatTable(dead) : '  (empty)');

    const stats = env.sandbox.stats();
    console.log(
      `\n✔ done in ${((Date.now() - started) / 1000).toFixed(1)} s; Leaf sandbox saw ${stats.requests} requests, ${stats.authCalls} authentications`,
    );
  } finally {
    await env.close();
    await moto.stop();
  }
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('demo failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
