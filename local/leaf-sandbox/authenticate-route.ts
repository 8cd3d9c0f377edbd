import { z } from 'zod';
import type { LeafContext, LeafRequest } from './context';
import { problemReply } from './problem';
import { jsonReply, type Reply } from './reply';

// Leaf's own examples send rememberMe both as a boolean and as the string "true".
const authenticateBody = z.object({
  username: z.string(),
  password: z.string(),
  rememberMe: z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .optional()
    .transform((value) => value === true || value === 'true'),
});

/** `POST /api/authenticate`: trades an API owner's username and password for a JWT. */
export const authenticate = (context: LeafContext, request: LeafRequest): Reply => {
  if (request.method !== 'POST') {
    return problemReply(405, request.path, 'methodNotAllowed', 'Use POST', { allow: 'POST' });
  }
  let json: unknown;
  try {
    json = JSON.parse(request.body);
  } catch {
    return problemReply(400, request.path, 'invalidBody', 'body: must be JSON');
  }
  const parsed = authenticateBody.safeParse(json);
  if (!parsed.success) {
    return problemReply(
      400,
      request.path,
      'invalidBody',
      'body: needs string username and password, and rememberMe as a boolean or "true"/"false"',
    );
  }
  const { username, password, rememberMe } = parsed.data;
  if (!context.tokens.isOwner(username, password)) {
    return problemReply(401, request.path, 'badCredentials', 'Bad credentials');
  }
  context.stats.tokensIssued += 1;

  return jsonReply(200, { id_token: context.tokens.issue(username, rememberMe) });
};
