import { readWebhookConfig } from './shared/env';
import { createWebhookHandler } from './shared/webhook-receiver';

/** Lambda entry point behind the function URL Leaf calls: credential events, signed by Leaf. */
export const handler = createWebhookHandler(readWebhookConfig(process.env));
