import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';

/** A handler as Lambda calls it behind a function URL. */
export type FunctionUrlHandler = (
  event: LambdaFunctionURLEvent,
) => Promise<LambdaFunctionURLResult>;

export interface FunctionUrlServerOptions {
  readonly handler: FunctionUrlHandler;
  /**
   * Base64-encode every body, as a function URL does for a content type it does not treat as
   * text. @default false (JSON arrives as text, as it does from Leaf)
   */
  readonly base64Bodies?: boolean;
}

/** A running stand-in for a Lambda function URL. */
export interface FunctionUrlServer {
  /** e.g. `http://127.0.0.1:41234/` */
  readonly url: string;
  close(): Promise<void>;
}

const readBytes = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }

  return Buffer.concat(chunks);
};

// Function URLs join repeated headers with commas and pass names in lower case, as Node does.
const headersOf = (req: IncomingMessage): Record<string, string> =>
  Object.fromEntries(
    Object.entries(req.headers).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(',') : (value ?? ''),
    ]),
  );

const toEvent = (req: IncomingMessage, body: Buffer, base64: boolean): LambdaFunctionURLEvent => {
  const url = new URL(req.url ?? '/', 'http://function-url.invalid');
  const method = (req.method ?? 'GET').toUpperCase();
  const now = new Date();

  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: headersOf(req),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: req.headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : body.toString(base64 ? 'base64' : 'utf8'),
    isBase64Encoded: base64 && body.length > 0,
  };
};

/**
 * Serves a function-URL handler over loopback HTTP, so a real client (the Leaf sandbox's webhook
 * calls) reaches the unchanged handler as it would reach the deployed URL.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
 */
export const startFunctionUrlServer = async (
  options: FunctionUrlServerOptions,
): Promise<FunctionUrlServer> => {
  const server = createServer((req, res) => {
    readBytes(req)
      .then((body) => options.handler(toEvent(req, body, options.base64Bodies ?? false)))
      .then((result) => {
        const answer = typeof result === 'string' ? { statusCode: 200, body: result } : result;
        res.writeHead(answer.statusCode ?? 200, answer.headers as Record<string, string>);
        res.end(answer.isBase64Encoded ? Buffer.from(answer.body ?? '', 'base64') : answer.body);
      })
      .catch(() => {
        // An unhandled error in a function makes its URL answer 502.
        res.writeHead(502);
        res.end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
