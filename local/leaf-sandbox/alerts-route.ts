import * as z from 'zod';
import type { LeafContext, LeafRequest } from './context';
import { problemReply } from './problem';
import { emptyReply, jsonReply, type Reply } from './reply';
import { leafEventNames } from './webhooks';

const registrationBody = z.object({
  events: z.array(z.string()).min(1),
  name: z.string().min(1),
  secret: z.string().min(1),
  url: z.url({ protocol: /^https?$/ }),
});

const register = (context: LeafContext, request: LeafRequest): Reply => {
  let json: unknown;
  try {
    json = JSON.parse(request.body);
  } catch {
    return problemReply(400, request.path, 'invalidBody', 'body: must be JSON');
  }
  const parsed = registrationBody.safeParse(json);
  if (!parsed.success) {
    return problemReply(
      400,
      request.path,
      'invalidBody',
      'body: needs events (a non-empty array), name, secret and an http(s) url',
    );
  }
  const unknown = parsed.data.events.filter((event) => !leafEventNames.has(event));
  if (unknown.length > 0) {
    return problemReply(400, request.path, 'invalidEvents', 'events: unknown event type');
  }
  const webhook = context.webhooks.register(parsed.data);
  if (webhook === undefined) {
    return problemReply(400, request.path, 'eventRegisteredTwice', 'An event is registered');
  }

  // Leaf echoes the secret in its answers; the sandbox does too, so clients must drop it.
  return jsonReply(201, webhook);
};

/**
 * `/services/alerts/api/alerts/webhooks` and `/webhooks/{id}`: register (POST, then a signed
 * confirmation to the URL), list (GET), read (GET by id) and delete (DELETE by id). Leaf allows
 * one webhook per event type, so registering an event twice gets 400 `eventRegisteredTwice`.
 */
export const alerts = (
  context: LeafContext,
  request: LeafRequest,
  webhookId: string | undefined,
): Reply => {
  const token = context.tokens.check(request.authorization);
  if (!token.ok) {
    return problemReply(401, request.path, 'unauthorized', 'A valid Bearer token is required', {
      'www-authenticate': 'Bearer',
    });
  }
  const allowed = webhookId === undefined ? ['GET', 'POST'] : ['GET', 'DELETE'];
  if (!allowed.includes(request.method)) {
    return problemReply(405, request.path, 'methodNotAllowed', `Use ${allowed.join(', ')}`, {
      allow: allowed.join(', '),
    });
  }
  if (webhookId === undefined) {
    return request.method === 'POST'
      ? register(context, request)
      : jsonReply(200, context.webhooks.list());
  }
  const webhook = context.webhooks.get(webhookId);
  if (webhook === undefined) {
    return problemReply(404, request.path, 'webhookNotFound', 'No webhook with this id');
  }
  if (request.method === 'DELETE') {
    context.webhooks.remove(webhookId);

    return emptyReply(204);
  }

  return jsonReply(200, webhook);
};
