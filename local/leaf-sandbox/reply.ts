import type { ServerResponse } from 'node:http';

/** An answer computed by a route, written later so a fault can still cut or drop it. */
export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

// RFC 9110 forbids a body on these; Node would silently drop it and a Content-Length would lie.
const bodiless = new Set([204, 304]);

/** A JSON answer. */
export const jsonReply = (
  status: number,
  value: unknown,
  headers: Readonly<Record<string, string>> = {},
): Reply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(value),
});

/** An answer with no body. */
export const emptyReply = (status: number): Reply => ({ status });

/** Writes a reply in full, with an exact Content-Length. */
export const writeReply = (res: ServerResponse, reply: Reply): void => {
  const body = bodiless.has(reply.status) ? '' : (reply.body ?? '');
  const headers: Record<string, string | number> = { ...reply.headers };
  if (!bodiless.has(reply.status)) {
    headers['content-length'] = Buffer.byteLength(body);
  }

  res.writeHead(reply.status, headers);
  res.end(body);
};
