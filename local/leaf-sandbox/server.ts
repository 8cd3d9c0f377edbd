import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TokenIssuer } from './auth';
import { readBody } from './body';
import type { LeafContext } from './context';
import { type ControlView, handleControl } from './control';
import { FaultBook } from './faults';
import { type LeafPipeline, serveLeafRequest } from './leaf-request';
import { problemReply } from './problem';
import { writeReply } from './reply';
import { controlPrefix } from './routes';
import type { LeafSandbox, LeafSandboxOptions } from './sandbox-api';
import { CredentialStore } from './state';
import { StatsRecorder } from './stats';
import type { SecondPostMode } from './types';
import { WebhookRegistry } from './webhooks';

export type { LeafSandbox, LeafSandboxOptions } from './sandbox-api';
export type * from './types';

const defaultMaxBodyBytes = 1024 * 1024;
const secondPostModes: readonly SecondPostMode[] = ['replace', 'conflict', 'bad-request'];

const checkLatency = (ms: number): number => {
  if (!(Number.isFinite(ms) && ms >= 0)) {
    throw new RangeError(`Latency must be a finite number of ms >= 0 (given ${ms})`);
  }

  return ms;
};

const checkSecondPost = (mode: SecondPostMode): SecondPostMode => {
  if (!secondPostModes.includes(mode)) {
    throw new RangeError(`secondPost must be one of ${secondPostModes.join(', ')} (given ${mode})`);
  }

  return mode;
};

const checkOptions = (options: LeafSandboxOptions): void => {
  if (options.apiOwners.length === 0) {
    throw new RangeError('A Leaf sandbox needs at least one API owner (given none)');
  }
  const ttl = options.tokenTtlSeconds;
  if (ttl !== undefined && !(Number.isFinite(ttl) && ttl >= 0)) {
    throw new RangeError(`tokenTtlSeconds must be a finite number >= 0 (given ${ttl})`);
  }
  const maxBody = options.maxBodyBytes;
  if (maxBody !== undefined && !(Number.isInteger(maxBody) && maxBody >= 0)) {
    throw new RangeError(`maxBodyBytes must be a whole number >= 0 (given ${maxBody})`);
  }
};

const hostForUrl = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** Starts a Leaf sandbox on loopback and resolves once it is listening. */
export const startLeafSandbox = async (options: LeafSandboxOptions): Promise<LeafSandbox> => {
  checkOptions(options);
  const tokens = new TokenIssuer(options.apiOwners, options.tokenTtlSeconds);
  const store = new CredentialStore();
  for (const user of options.users ?? []) {
    store.addUser(user);
  }
  const stats = new StatsRecorder();
  const faults = new FaultBook(options.seed);
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  let secondPost = checkSecondPost(options.secondPost ?? 'conflict');
  let latencyMs = checkLatency(options.latencyMs ?? 0);
  // Aborted by close() so pending delays end instead of keeping the process alive.
  const closing = new AbortController();
  const sockets = new Set<Socket>();
  const webhooks = new WebhookRegistry(closing.signal);
  const context: LeafContext = { tokens, store, stats, secondPost: () => secondPost, webhooks };
  const pipeline: LeafPipeline = {
    context,
    faults,
    latencyMs: () => latencyMs,
    maxBodyBytes,
    closing: closing.signal,
    log: options.log,
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://leaf-sandbox.invalid');
    try {
      if (!url.pathname.startsWith(controlPrefix)) {
        await serveLeafRequest(pipeline, req, res, url);

        return;
      }
      const body = await readBody(req, maxBodyBytes);
      writeReply(
        res,
        body.ok
          ? handleControl(view, (req.method ?? 'GET').toUpperCase(), url.pathname, body.text)
          : problemReply(413, url.pathname, 'payloadTooLarge', `Over ${maxBodyBytes} bytes`),
      );
    } catch (error) {
      // A closing sandbox, a half-sent answer or a vanished client leave nothing to answer.
      if (closing.signal.aborted || res.headersSent || req.socket.destroyed) {
        res.socket?.destroy();

        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      writeReply(res, problemReply(500, url.pathname, 'sandboxError', message));
    }
  };

  const server = createServer((req, res) => {
    serve(req, res).catch(() => res.socket?.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error(`The Leaf sandbox is not listening on TCP (address ${String(address)})`);
  }

  let closed: Promise<void> | undefined;
  const sandbox: LeafSandbox = {
    url: `http://${hostForUrl(address.address)}:${address.port}`,
    addUser: (userId) => store.addUser(userId),
    setSecondPost: (mode) => {
      secondPost = checkSecondPost(mode);
    },
    setLatency: (ms) => {
      latencyMs = checkLatency(ms);
    },
    credentials: (userId, provider = 'cnhi') => store.get(userId, provider),
    setCredentialStatus: (userId, provider, status) => {
      const before = store.get(userId, provider)?.status;
      store.setStatus(userId, provider, status);
      const credential = store.get(userId, provider);
      if (credential !== undefined && status !== before) {
        webhooks.credentialStatusChanged(provider, credential.id, status);
      }
    },
    webhooks: () => webhooks.list().map(({ secret: _secret, ...webhook }) => webhook),
    sendWebhookEvent: (payload, eventOptions) => webhooks.send(payload, eventOptions),
    replayWebhook: (deliveryId) => webhooks.replay(deliveryId),
    webhookDeliveries: () => webhooks.deliveries(),
    settleWebhooks: () => webhooks.settle(),
    injectFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    expireTokens: () => tokens.expireAll(),
    stats: () => stats.snapshot(),
    reset: () => {
      store.clear();
      stats.reset();
      faults.reset();
      webhooks.clear();
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        // server.close() only stops accepting; keep-alive and hung sockets would hold it open.
        server.closeAllConnections();
        for (const socket of sockets) {
          socket.destroy();
        }
      });

      return closed;
    },
  };
  const view: ControlView = {
    sandbox,
    users: () => store.users(),
    secondPost: () => secondPost,
    latencyMs: () => latencyMs,
    faults: () => faults.rules(),
    held: () => store.list(),
  };

  return sandbox;
};
