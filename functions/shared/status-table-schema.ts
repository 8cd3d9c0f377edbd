/**
 * Key layout of the status table, shared by the stack (which creates the table in AWS), the local
 * environment (which creates it in the emulator) and the status store (which reads and writes it),
 * so the three can never disagree.
 *
 * One partition per Leaf user (`USER#<leafUserId>`) holds:
 * - one current item per provider, sort key `CURRENT#<provider>`;
 * - the history of that user's transitions, sort key `HISTORY#<provider>#<ISO time>#<message id>`.
 */
export const statusTableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Finds the current item that holds a Leaf credential id (Leaf's webhooks name only the id). */
  credentialIdIndex: { name: 'byCredentialId', partitionKey: 'credentialId' },
  /**
   * Epoch seconds after which DynamoDB may delete an item. Only short-lived items carry it: the
   * receipts of webhook calls (`WEBHOOK#<body digest>` / `RECEIPT`), kept to refuse replays.
   */
  timeToLiveAttribute: 'purgeAfter',
} as const;
