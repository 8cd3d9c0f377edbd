import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { leafTimestamp } from './leaf-time';
import type {
  Provider,
  RegisteredWebhook,
  WebhookDelivery,
  WebhookEventOptions,
  WebhookSignatureMode,
} from './types';

/** Every event name Leaf's alerts API accepts at registration. */
export const leafEventNames: ReadonlySet<string> = new Set([
  'credentialsLimitedPermission',
  'credentialsUnauthenticated',
  'fieldCreated',
  'fieldBoundaryCreated',
  'fieldBoundaryUpdated',
  'uploadedFileProcessingFinished',
  'uploadedFileProcessingFailed',
  'providerFileProcessingFinished',
  'providerFileProcessingFailed',
  'mergedFileProcessingFinished',
  'mergedFileProcessingFailed',
  'automergedFileProcessingFinished',
  'automergedFileProcessingFailed',
  'operationCreated',
  'operationUpdated',
  'operationProcessingFinished',
  'newSatelliteImage',
  'machineCreated',
  'machineUpdated',
  'machineDeleted',
]);

/** What Leaf POSTs right after a registration. */
export const confirmationPayload = { message: 'confirmation of webhook upon registration' };

// Which credential event a new status raises. Leaf documents the two events, not the mapping;
// these are the statuses a Leaf reference listed. Other statuses raise none.
const eventOfStatus: Readonly<Record<string, string>> = {
  UNAUTHENTICATED: 'credentialsUnauthenticated',
  MISSING_PERMISSION: 'credentialsLimitedPermission',
  LIMITED_PERMISSION: 'credentialsLimitedPermission',
};

const providerNames: Readonly<Record<Provider, string>> = {
  cnhi: 'CNHI',
  'cnhi-fieldops': 'CNHIFieldOps',
};

const deliveryTimeoutMs = 5_000;
const deliveryLogLimit = 1_000;

/**
 * JSON as Leaf signs it: compact, but with a space after every `:` and `,` (Python's json.dumps).
 * @see https://docs.withleaf.io/alerts/authentication
 */
export const leafJson = (value: unknown): string => {
  if (Array.isArray(value)) {
    return `[${value.map(leafJson).join(', ')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, field]) => field !== undefined);

    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}: ${leafJson(field)}`).join(', ')}}`;
  }

  return JSON.stringify(value) ?? 'null';
};

const sign = (body: string, secret: string): string =>
  createHmac('sha256', secret).update(body, 'utf8').digest('base64');

const typeOf = (body: string): string | undefined => {
  try {
    const type = (JSON.parse(body) as { type?: unknown } | null)?.type;

    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
};

interface Registration extends RegisteredWebhook {
  readonly secret: string;
}

/** The webhooks registered with the sandbox, and the signed calls it makes to them. */
export class WebhookRegistry {
  readonly #webhooks = new Map<string, Registration>();
  readonly #deliveries: (WebhookDelivery & { readonly signatureHeader?: string })[] = [];
  readonly #pending = new Set<Promise<unknown>>();
  readonly #closing: AbortSignal;

  constructor(closing: AbortSignal) {
    this.#closing = closing;
  }

  /** Registers a webhook and sends its confirmation; undefined when an event is taken already. */
  register(input: Omit<Registration, 'id'>): Registration | undefined {
    const taken = [...this.#webhooks.values()].flatMap((webhook) => webhook.events);
    if (input.events.some((event) => taken.includes(event))) {
      return undefined;
    }
    const webhook: Registration = { id: randomUUID(), ...input };
    this.#webhooks.set(webhook.id, webhook);
    void this.#track(this.#deliver(webhook, leafJson(confirmationPayload), 'valid'));

    return webhook;
  }

  /** Registered webhooks, secrets included, as Leaf's GET answers them. */
  list(): Registration[] {
    return [...this.#webhooks.values()];
  }

  get(id: string): Registration | undefined {
    return this.#webhooks.get(id);
  }

  remove(id: string): boolean {
    return this.#webhooks.delete(id);
  }

  /** Raises the credential event a new status stands for, if any, to the webhooks listening. */
  credentialStatusChanged(provider: Provider, credentialId: string, status: string): void {
    const type = eventOfStatus[status];
    if (type === undefined) {
      return;
    }
    const payload = {
      credential: `${providerNames[provider]}Credentials`,
      provider: providerNames[provider],
      credentialId,
      message: `The ${providerNames[provider]} credentials changed to status ${status}`,
      status,
      type,
      timestamp: leafTimestamp(),
    };
    for (const webhook of this.#webhooks.values()) {
      if (webhook.events.includes(type)) {
        void this.#track(this.#deliver(webhook, leafJson(payload), 'valid'));
      }
    }
  }

  /** Sends any payload, signed as asked, to one webhook or to all. */
  async send(
    payload: Readonly<Record<string, unknown>>,
    options: WebhookEventOptions = {},
  ): Promise<WebhookDelivery[]> {
    const targets = options.webhookId
      ? [this.#webhooks.get(options.webhookId)].filter((webhook) => webhook !== undefined)
      : [...this.#webhooks.values()];
    const body = leafJson(payload);

    return Promise.all(
      targets.map((webhook) =>
        this.#track(this.#deliver(webhook, body, options.signature ?? 'valid')),
      ),
    );
  }

  /** Sends a logged call again, byte for byte and with the same signature header. */
  async replay(deliveryId?: string): Promise<WebhookDelivery> {
    const original = deliveryId
      ? this.#deliveries.find((delivery) => delivery.id === deliveryId)
      : this.#deliveries.at(-1);
    const webhook = original && this.#webhooks.get(original.webhookId);
    if (!original || !webhook) {
      throw new RangeError(
        `No delivery ${deliveryId ?? '(none sent yet)'} to a registered webhook`,
      );
    }

    return this.#track(
      this.#post(webhook, original.body, original.signature, original.signatureHeader, original.id),
    );
  }

  /** Every call made so far, oldest first. */
  deliveries(): WebhookDelivery[] {
    return this.#deliveries.map(({ signatureHeader: _header, ...delivery }) => delivery);
  }

  /** Resolves once every call in flight has been answered or has failed. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) {
      await Promise.allSettled([...this.#pending]);
    }
  }

  clear(): void {
    this.#webhooks.clear();
    this.#deliveries.length = 0;
  }

  #deliver(webhook: Registration, body: string, mode: WebhookSignatureMode) {
    const header =
      mode === 'valid'
        ? sign(body, webhook.secret)
        : mode === 'invalid'
          ? sign(body, randomBytes(16).toString('hex'))
          : undefined;

    return this.#post(webhook, body, mode, header);
  }

  async #post(
    webhook: Registration,
    body: string,
    signature: WebhookSignatureMode,
    signatureHeader: string | undefined,
    replayOf?: string,
  ): Promise<WebhookDelivery> {
    let status = 0;
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signatureHeader === undefined ? {} : { 'x-leaf-signature': signatureHeader }),
        },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(deliveryTimeoutMs), this.#closing]),
      });
      await response.body?.cancel();
      status = response.status;
    } catch {
      // Unreachable, too slow or closing: logged with status 0, as Leaf logs a failed call.
    }
    const type = typeOf(body);
    const delivery = {
      id: randomUUID(),
      webhookId: webhook.id,
      url: webhook.url,
      type,
      signature,
      status,
      body,
      ...(replayOf === undefined ? {} : { replayOf }),
    };
    this.#deliveries.push({ ...delivery, signatureHeader });
    if (this.#deliveries.length > deliveryLogLimit) {
      this.#deliveries.splice(0, this.#deliveries.length - deliveryLogLimit);
    }

    return delivery;
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    void promise.finally(() => this.#pending.delete(promise)).catch(() => undefined);

    return promise;
  }
}
