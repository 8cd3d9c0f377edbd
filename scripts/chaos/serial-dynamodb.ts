import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback proxy that hands moto one DynamoDB request at a time. */
export interface SerialDynamoDb {
  /** Put this in `AWS_ENDPOINT_URL_DYNAMODB`. */
  readonly endpoint: string;
  /** Requests forwarded, time moto spent on them, and requests waiting for their turn. */
  stats(): { readonly requests: number; readonly busyMs: number; readonly waiting: number };
  close(): Promise<void>;
}

const readAll = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }

  return Buffer.concat(chunks);
};

/**
 * Starts a proxy in front of moto's DynamoDB that forwards requests one after another. DynamoDB
 * applies a conditional write atomically, and the status store's leases rely on it; moto does not
 * under concurrent requests: `update_item` checks the condition and writes in separate steps,
 * and `transact_write_items` snapshots the whole table and, when any condition fails, restores
 * the snapshot, wiping out what other requests wrote meanwhile (moto/dynamodb/models/__init__.py).
 * Under the chaos run's load that loses completed requests and lets two leases overlap, failures
 * of the emulator rather than of the product. One request at a time makes moto as atomic as
 * DynamoDB; SQS and Secrets Manager keep going to moto directly.
 */
export const startSerialDynamoDb = async (target: string): Promise<SerialDynamoDb> => {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let tail: Promise<unknown> = Promise.resolve();
  const counts = { requests: 0, busyMs: 0, waiting: 0 };

  const forward = (body: Buffer, req: IncomingMessage, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', resolve);
          answer.on('error', () => resolve());
        },
      );
      out.on('error', () => {
        // The SDK retries a 5xx as it would a throttled DynamoDB.
        if (!res.headersSent) {
          res.writeHead(502);
        }
        res.end();
        resolve();
      });
      out.end(body);
    });

  const server = createServer((req, res) => {
    counts.waiting += 1;
    const run = tail.then(async () => {
      const body = await readAll(req);
      counts.waiting -= 1;
      const started = performance.now();
      await forward(body, req, res);
      counts.requests += 1;
      counts.busyMs += performance.now() - started;
    });
    tail = run.catch(() => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
};
