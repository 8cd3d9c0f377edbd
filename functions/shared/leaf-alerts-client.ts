import * as z from 'zod';
import { TransientError } from './errors';
import type { CallOptions, LeafClient } from './leaf-client';
import { credentialEventTypes } from './webhook-event';

/** A webhook registered at Leaf, without its secret, which Leaf echoes in every answer. */
export interface LeafWebhook {
  readonly id: string;
  readonly name?: string;
  readonly url?: string;
  readonly events: readonly string[];
}

/** What to register: Leaf signs every call to `url` with `secret`. */
export interface WebhookRegistration {
  readonly url: string;
  readonly name: string;
  readonly secret: string;
  /** @default the two credential events the receiver handles */
  readonly events?: readonly string[];
}

/** Leaf's alerts API, relative to its root. */
export const webhooksPath = 'services/alerts/api/alerts/webhooks';

const webhookAnswer = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  url: z.string().optional(),
  events: z.array(z.string()).default([]),
});

// Field by field, so the secret in Leaf's answer can never reach a caller, a log or a terminal.
const toWebhook = (value: unknown, route: string): LeafWebhook => {
  const parsed = webhookAnswer.safeParse(value);
  if (!parsed.success) {
    throw new TransientError(
      'LEAF_INVALID_RESPONSE',
      `Leaf's answer to ${route} lacks a webhook id`,
      {
        route,
      },
    );
  }
  const { id, name, url, events } = parsed.data;

  return { id, name, url, events };
};

/**
 * Registers and lists Leaf webhooks with the API owner's token, through the credential client's
 * authentication. Leaf allows one webhook per event type: registering an event twice gets a 400
 * with `eventRegisteredTwice`, which surfaces as LEAF_BAD_REQUEST.
 * @see https://docs.withleaf.io/docs/alerts_endpoints
 */
export class LeafAlertsClient {
  readonly #leaf: Pick<LeafClient, 'callJson'>;

  constructor(leaf: Pick<LeafClient, 'callJson'>) {
    this.#leaf = leaf;
  }

  /** Registers a webhook; Leaf then POSTs its confirmation message to the URL. */
  async register(registration: WebhookRegistration, options: CallOptions): Promise<LeafWebhook> {
    const site = { method: 'POST', route: 'alerts/webhooks' };
    const answer = await this.#leaf.callJson(site, webhooksPath, {
      ...options,
      json: {
        events: [...(registration.events ?? credentialEventTypes)],
        name: registration.name,
        secret: registration.secret,
        url: registration.url,
      },
    });

    return toWebhook(answer, site.route);
  }

  /** Every webhook of the API owner, whatever events it listens to. */
  async list(options: CallOptions): Promise<LeafWebhook[]> {
    const site = { method: 'GET', route: 'alerts/webhooks' };
    const answer = await this.#leaf.callJson(site, webhooksPath, options);
    if (!Array.isArray(answer)) {
      throw new TransientError(
        'LEAF_INVALID_RESPONSE',
        `Leaf's answer to GET ${site.route} is not a list`,
        site,
      );
    }

    return answer.map((item) => toWebhook(item, site.route));
  }
}
