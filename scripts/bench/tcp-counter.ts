import { connect, createServer, type Socket } from 'node:net';

/** A loopback TCP relay that counts the connections made through it. */
export interface TcpCounter {
  /** `http://127.0.0.1:<port>`, to use in place of the target's URL. */
  readonly url: string;
  /** Connections opened through the relay so far. */
  readonly connections: () => number;
  close(): Promise<void>;
}

/**
 * Relays every connection to `target` (an `http://host:port` URL) and counts them, to show how
 * many TCP connections a client opens: with keep-alive, a warm client opens a handful for
 * thousands of requests; without, one per request.
 */
export const startTcpCounter = async (target: string): Promise<TcpCounter> => {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((inbound) => {
    count += 1;
    const outbound = connect(Number(port), hostname);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      // A reset on one side ends the other; the client sees it as any dropped connection.
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const listening = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${listening}`,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => resolve());
      }),
  };
};
