import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseFaultRules } from './fault-schema';
import { checkFaultRule } from './faults';
import { problemReply } from './problem';
import { emptyReply, jsonReply, type Reply } from './reply';
import { controlPrefix } from './routes';
import type { LeafSandbox } from './sandbox-api';
import type { FaultRule, LeafCredential, Provider, SecondPostMode } from './types';

/** Sandbox state the control API shows besides what {@link LeafSandbox} returns. */
export interface ControlView {
  readonly sandbox: LeafSandbox;
  readonly users: () => string[];
  readonly secondPost: () => SecondPostMode;
  readonly latencyMs: () => number;
  readonly faults: () => FaultRule[];
  readonly held: () => { userId: string; provider: Provider; credential: LeafCredential }[];
}

const providerSchema = z.enum(['cnhi', 'cnhi-fieldops']);
const usersBody = z.union([
  z.object({ id: z.string() }).transform(({ id }) => [id]),
  z.object({ ids: z.array(z.string()) }).transform(({ ids }) => ids),
]);
const secondPostBody = z.object({ mode: z.enum(['replace', 'conflict', 'bad-request']) });
const latencyBody = z.object({ ms: z.number().min(0) });
const statusBody = z.object({ userId: z.string(), provider: providerSchema, status: z.string() });
const webhookEventBody = z.object({
  payload: z.record(z.string(), z.unknown()),
  signature: z.enum(['valid', 'invalid', 'missing']).optional(),
  webhookId: z.string().optional(),
});
const webhookReplayBody = z.object({ deliveryId: z.string().optional() });

// Lets another process check which secrets are held without ever reading them.
const fingerprint = (credential: LeafCredential): string =>
  createHash('sha256')
    .update(
      [
        credential.clientId,
        credential.clientSecret,
        credential.subscriptionKey,
        credential.refreshToken,
      ].join('\u0000'),
    )
    .digest('hex')
    .slice(0, 16);

const describeFault = (rule: FaultRule): unknown => {
  const path = rule.match?.path;

  return path instanceof RegExp
    ? { ...rule, match: { ...rule.match, path: undefined, pathRegex: path.source } }
    : rule;
};

const state = (view: ControlView): unknown => ({
  url: view.sandbox.url,
  users: view.users(),
  secondPost: view.secondPost(),
  latencyMs: view.latencyMs(),
  faults: view.faults().map(describeFault),
  credentials: view.held().map(({ userId, provider, credential }) => ({
    userId,
    provider,
    id: credential.id,
    status: credential.status,
    createdTime: credential.createdTime,
    clientEnvironment: credential.clientEnvironment,
    fingerprint: fingerprint(credential),
  })),
  stats: view.sandbox.stats(),
});

const parseJson = (text: string): unknown => {
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch {
    return undefined;
  }
};

type Action = (view: ControlView, json: unknown, path: string) => Reply;

const invalid = (path: string, message: string): Reply =>
  problemReply(400, path, 'invalidControlRequest', message);

const withBody =
  <T>(schema: z.ZodType<T>, apply: (view: ControlView, value: T, path: string) => Reply): Action =>
  (view, json, path) => {
    const parsed = schema.safeParse(json);

    return parsed.success
      ? apply(view, parsed.data, path)
      : invalid(path, z.prettifyError(parsed.error));
  };

const attempt = (path: string, change: () => void): Reply => {
  try {
    change();

    return emptyReply(204);
  } catch (error) {
    return invalid(path, (error as Error).message);
  }
};

const actions: Readonly<Record<string, Action>> = {
  'GET state': (view) => jsonReply(200, state(view)),
  'GET stats': (view) => jsonReply(200, view.sandbox.stats()),
  'POST faults': (view, json, path) => {
    const parsed = parseFaultRules(json);
    if (!parsed.ok) {
      return invalid(path, parsed.message);
    }

    // All or nothing: a bad rule late in the array must not leave the earlier ones active.
    return attempt(path, () => {
      parsed.rules.forEach(checkFaultRule);
      for (const rule of parsed.rules) {
        view.sandbox.injectFault(rule);
      }
    });
  },
  'DELETE faults': (view) => {
    view.sandbox.clearFaults();

    return emptyReply(204);
  },
  'POST expire-tokens': (view) => {
    view.sandbox.expireTokens();

    return emptyReply(204);
  },
  'POST users': withBody(usersBody, (view, ids, path) =>
    attempt(path, () => {
      for (const id of ids) {
        view.sandbox.addUser(id);
      }
    }),
  ),
  'POST reset': (view) => {
    view.sandbox.reset();

    return emptyReply(204);
  },
  'POST second-post': withBody(secondPostBody, (view, { mode }) => {
    view.sandbox.setSecondPost(mode);

    return emptyReply(204);
  }),
  'POST latency': withBody(latencyBody, (view, { ms }) => {
    view.sandbox.setLatency(ms);

    return emptyReply(204);
  }),
  'POST credential-status': withBody(statusBody, (view, body, path) =>
    attempt(path, () => view.sandbox.setCredentialStatus(body.userId, body.provider, body.status)),
  ),
  'GET webhooks': (view) =>
    jsonReply(200, {
      webhooks: view.sandbox.webhooks(),
      deliveries: view.sandbox.webhookDeliveries(),
    }),
  // Calls to a webhook take a round trip the control API does not wait for: the answer says the
  // call is on its way, and `GET webhooks` shows how it was answered.
  'POST webhook-event': withBody(webhookEventBody, (view, { payload, ...options }) => {
    view.sandbox.sendWebhookEvent(payload, options).catch(() => undefined);

    return jsonReply(202, { sent: view.sandbox.webhooks().length });
  }),
  'POST webhook-replay': withBody(webhookReplayBody, (view, { deliveryId }, path) => {
    const deliveries = view.sandbox.webhookDeliveries();
    if (!deliveries.some((delivery) => deliveryId === undefined || delivery.id === deliveryId)) {
      return invalid(path, `deliveryId: no such delivery (given ${deliveryId ?? 'none'})`);
    }
    view.sandbox.replayWebhook(deliveryId).catch(() => undefined);

    return jsonReply(202, { sent: 1 });
  }),
};

/** Answers a control request (`/__sandbox/...`); no token needed, no faults, not counted. */
export const handleControl = (
  view: ControlView,
  method: string,
  path: string,
  body: string,
): Reply => {
  const action = actions[`${method} ${path.slice(controlPrefix.length)}`];
  if (action === undefined) {
    return problemReply(404, path, 'routeNotFound', `No control route ${method} ${path}`);
  }
  const json = parseJson(body);
  if (json === undefined) {
    return invalid(path, 'body: must be JSON');
  }

  return action(view, json, path);
};
