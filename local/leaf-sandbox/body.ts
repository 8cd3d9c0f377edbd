import type { IncomingMessage } from 'node:http';

/** A request body, or the fact that it was too large to keep. */
export type BodyResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: 'too-large' };

/**
 * Reads a request body up to `limit` bytes. A larger body is still read to its end (and thrown
 * away) so the client can receive the 413 instead of a reset while it is still sending.
 */
export const readBody = (req: IncomingMessage, limit: number): Promise<BodyResult> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      resolve(
        size <= limit
          ? { ok: true, text: Buffer.concat(chunks).toString('utf8') }
          : { ok: false, reason: 'too-large' },
      );
    });
    req.on('error', reject);
  });
