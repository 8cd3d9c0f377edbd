import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { type ApiOwner, type LeafSandboxOptions, startLeafSandbox } from './server';

const usage = `Runs the Leaf sandbox and prints {"url", "controlUrl"} as one JSON line on stdout.

  --port <n>            default 0 (a free port); env LEAF_SANDBOX_PORT
  --host <address>      default 127.0.0.1; env LEAF_SANDBOX_HOST
  --owner <user:pass>   repeatable; env LEAF_SANDBOX_OWNERS as JSON [{"username","password"}]
                        with none, an owner is generated and printed as "generatedOwner"
  --user <uuid>         repeatable; env LEAF_SANDBOX_USERS, comma-separated
  --second-post <mode>  replace | conflict | bad-request (default conflict)
  --token-ttl <s>       token lifetime in seconds (default 24 h, 30 days with rememberMe)
  --latency <ms>        delay before every Leaf answer
  --seed <n>            seed of fault probabilities
  --verbose             one line per Leaf request on stderr (never bodies)`;

const ownersFromEnv = z.array(z.object({ username: z.string(), password: z.string() }));

const number = (flag: string, value: string | undefined): number | undefined => {
  if (value === undefined) {
    return undefined;
  }
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) {
    throw new RangeError(`${flag} needs a number (given ${JSON.stringify(value)})`);
  }

  return parsed;
};

const ownerFromFlag = (value: string): ApiOwner => {
  const colon = value.indexOf(':');
  if (colon <= 0) {
    throw new RangeError('--owner needs user:password');
  }

  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
};

const readOptions = (): { options: LeafSandboxOptions; generatedOwner?: ApiOwner } => {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      owner: { type: 'string', multiple: true },
      user: { type: 'string', multiple: true },
      'second-post': { type: 'string' },
      'token-ttl': { type: 'string' },
      latency: { type: 'string' },
      seed: { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  const env = process.env;
  const owners: ApiOwner[] = [
    ...(values.owner ?? []).map(ownerFromFlag),
    ...(env.LEAF_SANDBOX_OWNERS ? ownersFromEnv.parse(JSON.parse(env.LEAF_SANDBOX_OWNERS)) : []),
  ];
  const generatedOwner =
    owners.length === 0
      ? { username: 'sandbox-owner', password: randomBytes(12).toString('base64url') }
      : undefined;
  const users = [
    ...(values.user ?? []),
    ...(env.LEAF_SANDBOX_USERS ?? '').split(',').map((id) => id.trim()),
  ].filter((id) => id !== '');
  const options: LeafSandboxOptions = {
    port: number('--port', values.port ?? env.LEAF_SANDBOX_PORT),
    host: values.host ?? env.LEAF_SANDBOX_HOST,
    apiOwners: generatedOwner === undefined ? owners : [generatedOwner],
    users,
    secondPost: values['second-post'] as LeafSandboxOptions['secondPost'],
    tokenTtlSeconds: number('--token-ttl', values['token-ttl']),
    latencyMs: number('--latency', values.latency),
    seed: number('--seed', values.seed),
    log: values.verbose === true ? (line) => console.error(line) : undefined,
  };

  return { options, generatedOwner };
};

const main = async (): Promise<void> => {
  const { options, generatedOwner } = readOptions();
  const sandbox = await startLeafSandbox(options);
  console.log(
    JSON.stringify({
      url: sandbox.url,
      controlUrl: `${sandbox.url}/__sandbox/`,
      ...(generatedOwner === undefined ? {} : { generatedOwner }),
    }),
  );
  const stop = (): void => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  console.error(usage);
  process.exit(2);
});
