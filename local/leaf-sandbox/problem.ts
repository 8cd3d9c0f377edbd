import { STATUS_CODES } from 'node:http';
import type { Reply } from './reply';

/** Leaf's documented error shape. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly path: string;
  readonly message: string;
  readonly errorKey: string;
}

const problemTypeBase = 'https://leaf-sandbox.local/problem/';

/** A problem JSON answer; `message` must never quote a request value (bodies hold secrets). */
export const problemReply = (
  status: number,
  path: string,
  errorKey: string,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): Reply => {
  const problem: Problem = {
    type: `${problemTypeBase}${errorKey}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    path,
    message,
    errorKey,
  };

  return {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify(problem),
  };
};
