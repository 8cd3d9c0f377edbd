import * as z from 'zod';

/** The Leaf events the product subscribes to: a credential stopped working, fully or partly. */
export const credentialEventTypes = [
  'credentialsUnauthenticated',
  'credentialsLimitedPermission',
] as const;

export type CredentialEventType = (typeof credentialEventTypes)[number];

/** What Leaf POSTs once after a registration, before any event. */
export const confirmationMessage = 'confirmation of webhook upon registration';

/** A credential event, reduced to what the product records. */
export interface CredentialEvent {
  readonly type: CredentialEventType;
  /** The `id` of the credential at Leaf; the only link to a user Leaf promises. */
  readonly credentialId: string;
  /** Leaf's new status of the credential, an opaque string. */
  readonly status: string;
  /** When Leaf says the event happened, as an ISO 8601 UTC time. */
  readonly occurredAt: string;
}

/** A verified body, classified. */
export type WebhookBody =
  | { readonly kind: 'confirmation' }
  | { readonly kind: 'credential'; readonly event: CredentialEvent }
  /** Signed by Leaf but of a type the product does not handle; `type` only when it is a name. */
  | { readonly kind: 'ignored'; readonly type?: string }
  | { readonly kind: 'invalid'; readonly reason: string };

// Values seen in a Leaf reference; used only when an event leaves `status` out.
const statusOfType: Readonly<Record<CredentialEventType, string>> = {
  credentialsUnauthenticated: 'UNAUTHENTICATED',
  credentialsLimitedPermission: 'MISSING_PERMISSION',
};

// Leaf's samples carry microseconds ("2023-04-21T12:16:27.997586Z") or none ("…T18:35:53Z").
const isoWithZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const credentialEventSchema = z.object({
  type: z.enum(credentialEventTypes),
  // Ids go into keys and logs, so only id characters are accepted.
  credentialId: z.string().regex(/^[\w-]{1,128}$/),
  status: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/)
    .optional(),
  timestamp: z
    .string()
    .regex(isoWithZone)
    .refine((value) => !Number.isNaN(Date.parse(value))),
});

const typeName = (value: unknown): string | undefined =>
  typeof value === 'string' && /^[A-Za-z]{1,64}$/.test(value) ? value : undefined;

/**
 * Classifies a body whose signature has been verified. The other documented fields
 * (`credential`, `provider`, `message`) are not read: the status record keys the provider itself,
 * and Leaf's free-text message is undocumented, so it is never stored or logged.
 */
export const parseWebhookBody = (text: string): WebhookBody => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'body is not JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { kind: 'invalid', reason: 'body is not a JSON object' };
  }
  const fields = json as Record<string, unknown>;
  if (fields.type === undefined && fields.message === confirmationMessage) {
    return { kind: 'confirmation' };
  }
  if (!credentialEventTypes.includes(fields.type as CredentialEventType)) {
    return { kind: 'ignored', type: typeName(fields.type) };
  }
  const parsed = credentialEventSchema.safeParse(fields);
  if (!parsed.success) {
    const paths = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))];

    return { kind: 'invalid', reason: `invalid ${paths.join(', ')}` };
  }
  const { type, credentialId, status, timestamp } = parsed.data;

  return {
    kind: 'credential',
    event: {
      type,
      credentialId,
      status: status ?? statusOfType[type],
      occurredAt: new Date(timestamp).toISOString(),
    },
  };
};
