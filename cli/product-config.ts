import { z } from 'zod';

/**
 * Where the product's queues, table and functions are. The names follow the stack's outputs
 * (`ProvisioningQueueUrl` is `provisioningQueueUrl`), so a file can be written from them by hand.
 */
export const productConfigSchema = z.object({
  /** `local` runs the audit in-process against the Leaf sandbox instead of invoking the function. */
  mode: z.enum(['aws', 'local']).default('aws'),
  region: z.string().min(1).optional(),
  /** An emulator's root URL, as `AWS_ENDPOINT_URL` would name it. */
  endpoint: z.url().optional(),
  provisioningQueueUrl: z.url(),
  provisioningDeadLetterQueueUrl: z.url(),
  deprovisioningQueueUrl: z.url(),
  deprovisioningDeadLetterQueueUrl: z.url(),
  statusTableName: z.string().min(1),
  auditFunctionName: z.string().min(1).optional(),
  /** The scheduled audit, which `audit --all` invokes. */
  scheduledAuditFunctionName: z.string().min(1).optional(),
  /** What an in-process audit needs to reach Leaf (the sandbox, locally). */
  leaf: z
    .object({
      apiBaseUrl: z.url(),
      apiOwnerSecretId: z.string().min(1),
      requestTimeoutMs: z.number().int().min(100).max(60_000).default(3_000),
    })
    .optional(),
  /** The process that keeps a local environment up; a file whose process is gone is stale. */
  pid: z.number().int().positive().optional(),
});

export type ProductConfig = z.infer<typeof productConfigSchema> & {
  /** Where the configuration came from, for messages. */
  readonly source: string;
};
