import type { LeafContext, LeafRequest } from './context';
import { parseCredentialBody } from './credential-body';
import { problemReply } from './problem';
import { emptyReply, jsonReply, type Reply } from './reply';
import { isUuid } from './state';
import type { Provider } from './types';

/** The credential a request is about. */
export interface CredentialTarget {
  readonly userId: string;
  readonly provider: Provider;
  readonly events: boolean;
}

const unauthorizedMessages = {
  missing: 'A Bearer token is required',
  invalid: 'The token is not valid',
  expired: 'The token has expired',
} as const;

const pageOf = <T>(items: readonly T[], query: URLSearchParams): T[] => {
  const page = Math.max(0, Number.parseInt(query.get('page') ?? '0', 10) || 0);
  const size = Math.max(1, Number.parseInt(query.get('size') ?? '20', 10) || 20);

  return items.slice(page * size, (page + 1) * size);
};

const create = (context: LeafContext, request: LeafRequest, target: CredentialTarget): Reply => {
  const { userId, provider } = target;
  const parsed = parseCredentialBody(provider, request.body);
  if (!parsed.ok) {
    return problemReply(400, request.path, 'invalidCredentials', parsed.message);
  }
  if (context.store.get(userId, provider) !== undefined) {
    const mode = context.secondPost();
    if (mode === 'conflict') {
      return problemReply(409, request.path, 'credentialsAlreadyExist', 'Credentials exist');
    }
    if (mode === 'bad-request') {
      return problemReply(400, request.path, 'credentialsAlreadyExist', 'Credentials exist');
    }
  }
  const credential = context.store.put(userId, provider, parsed.value);
  context.stats.writes.post += 1;

  return jsonReply(201, credential);
};

const answer = (context: LeafContext, request: LeafRequest, target: CredentialTarget): Reply => {
  const { userId, provider } = target;
  const notFound = (): Reply =>
    problemReply(404, request.path, 'credentialsNotFound', `No ${provider} credentials`);
  if (request.method === 'POST') {
    return create(context, request, target);
  }
  if (request.method === 'DELETE') {
    if (!context.store.remove(userId, provider)) {
      return notFound();
    }
    context.stats.writes.delete += 1;

    return emptyReply(204);
  }
  const credential = context.store.get(userId, provider);

  return credential === undefined ? notFound() : jsonReply(200, credential);
};

/**
 * `/services/usermanagement/api/users/{leafUserId}/cnhi-credentials` and its FieldOps twin, with
 * their `/events` logs. Checks run in this order: token (401), method (405), user (404; an id that
 * is not a UUID cannot name a user, so it gets 404 too), then the body (400) and existing state.
 */
export const credentials = (
  context: LeafContext,
  request: LeafRequest,
  target: CredentialTarget,
): Reply => {
  const token = context.tokens.check(request.authorization);
  if (!token.ok) {
    return problemReply(401, request.path, 'unauthorized', unauthorizedMessages[token.reason], {
      'www-authenticate': 'Bearer',
    });
  }
  const allowed = target.events ? ['GET'] : ['GET', 'POST', 'DELETE'];
  if (!allowed.includes(request.method)) {
    return problemReply(405, request.path, 'methodNotAllowed', `Use ${allowed.join(', ')}`, {
      allow: allowed.join(', '),
    });
  }
  const { userId, provider } = target;
  if (!isUuid(userId) || !context.store.hasUser(userId)) {
    return problemReply(404, request.path, 'userNotFound', 'No Leaf user with this id');
  }
  if (target.events) {
    return jsonReply(200, pageOf(context.store.events(userId, provider), request.query));
  }
  const reply = answer(context, request, target);
  context.store.recordEvent(userId, provider, request.method, reply.status);

  return reply;
};
