import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { alerts } from './alerts-route';
import { authenticate } from './authenticate-route';
import { readBody } from './body';
import type { LeafContext, LeafRequest } from './context';
import { credentials } from './credentials-route';
import { faultReply, midBodyPayload } from './fault-reply';
import type { FaultBook } from './faults';
import { problemReply } from './problem';
import { type Reply, writeReply } from './reply';
import { faultRoute, matchRoute, type RouteMatch } from './routes';
import type { FaultKind } from './types';

/** What serving a Leaf request needs besides the route state. */
export interface LeafPipeline {
  readonly context: LeafContext;
  readonly faults: FaultBook;
  readonly latencyMs: () => number;
  readonly maxBodyBytes: number;
  /** Aborted when the sandbox closes, ending pending delays. */
  readonly closing: AbortSignal;
  readonly log: ((line: string) => void) | undefined;
}

const routeReply = (context: LeafContext, request: LeafRequest, match: RouteMatch): Reply => {
  switch (match.route) {
    case 'authenticate':
      return authenticate(context, request);
    case 'credentials':
      return credentials(context, request, match);
    case 'alerts':
      return alerts(context, request, match.webhookId);
    default:
      return problemReply(404, request.path, 'routeNotFound', 'No such route');
  }
};

// Headers and half a body go out, then the connection dies: the client sees a status (200 by
// default) whose body cannot be read.
const cutMidBody = (res: ServerResponse, status: number): void => {
  const reply = midBodyPayload(status);
  const body = Buffer.from(reply.body ?? '');
  res.writeHead(status, { ...reply.headers, 'content-length': body.length });
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
};

const roundMs = (ms: number): number => Math.round(ms * 100) / 100;

/**
 * Serves one Leaf request: reads the body, applies latency and the first terminal fault, then
 * the route. Faults other than drop-after-apply answer before the route runs, so no write is
 * applied; drop-after-apply runs the route and then drops the connection instead of answering.
 */
export const serveLeafRequest = async (
  pipeline: LeafPipeline,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> => {
  const { context, faults } = pipeline;
  const { stats } = context;
  const started = performance.now();
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname;
  const match = matchRoute(path);
  let fault: FaultKind | undefined;
  stats.requests += 1;
  if (match.route === 'authenticate') {
    stats.authCalls += 1;
  }
  res.once('close', () => {
    const status = res.writableFinished ? res.statusCode : 0;
    const ms = roundMs(performance.now() - started);
    stats.record({ method, path, status, ms, ...(fault === undefined ? {} : { fault }) });
    pipeline.log?.(`${method} ${path} ${status} ${ms}ms${fault === undefined ? '' : ` ${fault}`}`);
  });

  const body = await readBody(req, pipeline.maxBodyBytes);
  if (!body.ok) {
    const message = `Over ${pipeline.maxBodyBytes} bytes`;
    writeReply(res, problemReply(413, path, 'payloadTooLarge', message));

    return;
  }
  const decision = faults.decide({ method, path, route: faultRoute(match) });
  stats.faultsInjected += decision.fired;
  const delayMs = pipeline.latencyMs() + decision.delayMs;
  if (delayMs > 0) {
    await sleep(delayMs, undefined, { signal: pipeline.closing });
  }
  const action = decision.action;
  fault = action?.kind;
  switch (action?.kind) {
    case 'drop':
      req.socket.destroy();

      return;
    case 'hang':
      return;
    case 'drop-mid-body':
      cutMidBody(res, action.status ?? 200);

      return;
    case 'status':
    case 'rate-limit':
    case 'expire-token':
      writeReply(res, faultReply(action, path));

      return;
  }
  const request: LeafRequest = {
    method,
    path,
    query: url.searchParams,
    body: body.text,
    authorization: req.headers.authorization,
  };
  const reply = routeReply(context, request, match);
  if (action?.kind === 'drop-after-apply') {
    req.socket.destroy();

    return;
  }
  writeReply(res, reply);
};
