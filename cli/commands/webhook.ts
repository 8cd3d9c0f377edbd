import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { apiOwnerReader } from '../../functions/shared/api-owner';
import { isProvisionerError } from '../../functions/shared/errors';
import { LeafAlertsClient, type LeafWebhook } from '../../functions/shared/leaf-alerts-client';
import { LeafClient } from '../../functions/shared/leaf-client';
import { credentialEventTypes } from '../../functions/shared/webhook-event';
import { globalOptionsHelp, parseCommandArgs } from '../args';
import type { CliClients } from '../aws-clients';
import { type Command, withProduct } from '../command';
import { exitCodes, OperationError, UsageError } from '../errors';
import { cell, writeJson, writeLine, writeTable } from '../output';
import type { ProductConfig } from '../product-config';

// The deployment's defaults (lib/config.ts), for a stack whose outputs do not name them.
const defaults = {
  leafUrl: 'https://api.withleaf.io',
  ownerSecret: 'leaf/api-owner',
  webhookSecret: 'leaf/webhook',
  name: 'leaf-cnhi-provisioner credential health',
};
const minimumKeyLength = 24;
const budget = { budgetMs: 30_000 };

const help = `Usage: leaf-cnhi webhook register --url URL [--name NAME] [--webhook-secret NAME] [--json]
       leaf-cnhi webhook list [--json]

register  Registers the webhook receiver with Leaf for ${credentialEventTypes.join(' and ')},
          with the key from the webhook secret. Leaf then POSTs a signed confirmation to the
          URL, which the receiver answers with 200. Leaf allows one webhook per event type: to
          move the receiver, delete the old webhook at Leaf first.
list      Lists the API owner's webhooks at Leaf: id, name, URL and events. Leaf's answer
          also holds each webhook's key; it is never printed.

Options:
  --url URL              where Leaf should call: the stack's WebhookUrl output (https; plain
                         http only to this machine, for the local environment)
  --name NAME            the webhook's name at Leaf (default "${defaults.name}")
  --webhook-secret NAME  the secret whose value is the key (default ${defaults.webhookSecret});
                         it must hold at least ${minimumKeyLength} characters
  --leaf-url URL         Leaf's API root (default ${defaults.leafUrl}, or the local environment's)
  --owner-secret NAME    the API-owner secret (default ${defaults.ownerSecret}, or the local
                         environment's)

${globalOptionsHelp}

Exit status: 0 done; 1 Leaf refused or could not be reached; 2 wrong arguments or missing
configuration.`;

const options = {
  url: { type: 'string' },
  name: { type: 'string' },
  'webhook-secret': { type: 'string' },
  'leaf-url': { type: 'string' },
  'owner-secret': { type: 'string' },
} as const;

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);

const checkUrl = (value: string): string => {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  const allowed =
    url?.protocol === 'https:' || (url?.protocol === 'http:' && loopback.has(url.hostname));
  if (!allowed) {
    throw new UsageError(
      `--url must be an https URL, or http on this machine (given ${JSON.stringify(value)})`,
    );
  }

  return value;
};

const alertsClient = (
  config: ProductConfig,
  clients: CliClients,
  flags: { leafUrl?: string; ownerSecret?: string },
) =>
  new LeafAlertsClient(
    new LeafClient({
      baseUrl: flags.leafUrl ?? config.leaf?.apiBaseUrl ?? defaults.leafUrl,
      requestTimeoutMs: config.leaf?.requestTimeoutMs ?? 10_000,
      apiOwner: apiOwnerReader(
        clients.secrets(),
        flags.ownerSecret ?? config.leaf?.apiOwnerSecretId ?? defaults.ownerSecret,
      ),
    }),
  );

// The key goes to Leaf and nowhere else: not to a message, not to the terminal.
const readKey = async (clients: CliClients, secretId: string): Promise<string> => {
  const answer = await clients.secrets().send(new GetSecretValueCommand({ SecretId: secretId }));
  const key = answer.SecretString ?? '';
  if (key.trim().length < minimumKeyLength) {
    throw new OperationError(
      `the webhook secret ${secretId} must hold a key of at least ${minimumKeyLength} characters`,
      'make one with: openssl rand -base64 32',
    );
  }

  return key;
};

const leafRefusal = (error: unknown): never => {
  if (!isProvisionerError(error)) {
    throw error;
  }
  const twice = error.details.errorKey === 'eventRegisteredTwice';
  throw new OperationError(
    `Leaf refused: ${error.message}`,
    twice
      ? 'Leaf allows one webhook per event; see leaf-cnhi webhook list, and delete the old one at Leaf first'
      : undefined,
    { cause: error },
  );
};

const rows = (webhooks: readonly LeafWebhook[]) =>
  webhooks.map((webhook) => ({
    id: webhook.id,
    name: cell(webhook.name),
    url: cell(webhook.url),
    events: webhook.events.join(', '),
  }));

const run: Command['run'] = async (args, io) => {
  const { values, positionals, globals } = parseCommandArgs('webhook', args, options);
  const [action, ...rest] = positionals;
  if (action !== 'register' && action !== 'list') {
    throw new UsageError('give register or list', 'see leaf-cnhi webhook --help');
  }
  if (rest.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  }
  if (action === 'register' && values.url === undefined) {
    throw new UsageError('webhook register needs --url', 'see leaf-cnhi webhook --help');
  }
  const url = values.url === undefined ? undefined : checkUrl(values.url);
  const flags = { leafUrl: values['leaf-url'], ownerSecret: values['owner-secret'] };

  const webhooks = await withProduct(globals, io, async ({ config, clients }) => {
    const alerts = alertsClient(config, clients, flags);
    if (action === 'list') {
      return alerts.list(budget).catch(leafRefusal);
    }
    const secret = await readKey(clients, values['webhook-secret'] ?? defaults.webhookSecret);
    const registration = { url: url as string, name: values.name ?? defaults.name, secret };

    return [await alerts.register(registration, budget).catch(leafRefusal)];
  });

  if (globals.json) {
    writeJson(io.stdout, action === 'list' ? webhooks : webhooks[0]);
  } else {
    if (action === 'register') {
      writeLine(io.stdout, 'registered; Leaf now sends its confirmation to the URL');
    }
    writeTable(io.stdout, rows(webhooks), 'no webhooks registered');
  }

  return exitCodes.ok;
};

/** `leaf-cnhi webhook register|list`: Leaf's webhooks for the credential events. */
export const webhookCommand: Command = {
  name: 'webhook',
  summary: "register the webhook receiver with Leaf, or list Leaf's webhooks",
  help,
  run,
};
