import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { type Provider, providerIds } from '../functions/shared/providers';
import { type State, type StatusRecord, StatusStore } from '../functions/shared/status-store';
import { statusTableSchema } from '../functions/shared/status-table-schema';

// A record rather than a list, so the compiler names any state status-store.ts adds and this lacks.
const stateNames: Readonly<Record<State, true>> = {
  PENDING: true,
  RETRYING: true,
  PROVISIONED: true,
  REMOVED: true,
  FAILED: true,
};

/** Every state a status record can be in. */
export const states = Object.keys(stateNames) as State[];

/** Which records to show; every filter left out matches all. */
export interface StatusFilter {
  readonly leafUserId?: string;
  readonly provider?: Provider;
  readonly states?: readonly State[];
}

const matches = (record: StatusRecord, filter: StatusFilter) =>
  (!filter.provider || record.provider === filter.provider) &&
  (!filter.states?.length || filter.states.includes(record.state));

// One user's records are read through the status store itself, which owns the key layout.
const userRecords = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  leafUserId: string,
  filter: StatusFilter,
) => {
  const store = new StatusStore(dynamo, tableName);
  const providers = filter.provider ? [filter.provider] : providerIds;
  const records = await Promise.all(providers.map((provider) => store.get(leafUserId, provider)));

  return records.filter((record): record is StatusRecord => record !== undefined);
};

/**
 * Every current record that passes the filter. Note: a Scan reads the whole table, history items
 * included, and is billed for all of it; the filter only trims what comes back. The stack grants
 * its functions no `dynamodb:Scan`; the command runs with the operator's own credentials, whose
 * role needs `dynamodb:Scan` on the status table for a listing without --user.
 */
const scanRecords = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  filter: StatusFilter,
) => {
  // The current records' sort keys start with CURRENT# (status-table-schema.ts); history items
  // and webhook receipts share the table.
  const names: Record<string, string> = { '#sk': statusTableSchema.sortKey };
  const values: Record<string, unknown> = { ':current': 'CURRENT#' };
  const conditions = ['begins_with(#sk, :current)'];
  if (filter.provider) {
    names['#provider'] = 'provider';
    values[':provider'] = filter.provider;
    conditions.push('#provider = :provider');
  }
  if (filter.states?.length) {
    names['#state'] = 'state';
    const keys = filter.states.map((state, i) => {
      values[`:state${i}`] = state;

      return `:state${i}`;
    });
    conditions.push(`#state IN (${keys.join(', ')})`);
  }

  const records: StatusRecord[] = [];
  const pages = paginateScan(
    { client: dynamo },
    {
      TableName: tableName,
      FilterExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const {
        [statusTableSchema.partitionKey]: _pk,
        [statusTableSchema.sortKey]: _sk,
        ...record
      } = item;
      records.push(record as StatusRecord);
    }
  }

  return records;
};

/** The status records that match, the latest change first. */
export const readStatusRecords = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  filter: StatusFilter,
): Promise<StatusRecord[]> => {
  const records = filter.leafUserId
    ? await userRecords(dynamo, tableName, filter.leafUserId, filter)
    : await scanRecords(dynamo, tableName, filter);

  return records
    .filter((record) => matches(record, filter))
    .sort((a, b) => (b.updatedAt ?? '').localeCompare(a.updatedAt ?? ''));
};
