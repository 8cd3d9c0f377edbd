import { isSecretNameOrArn } from '../functions/shared/grower-secret';
import {
  checkRequestBody,
  type OperationName,
  operationNames,
  requestFields,
  toOperation,
} from './request-check';
import type { FileRow, RowProblem } from './request-file';

/** A request checked and ready to send, with the line it came from. */
export interface PlannedRequest {
  readonly line: number;
  readonly operation: OperationName;
  /** The message body, exactly as it was checked. */
  readonly body: string;
  readonly leafUserId: string;
  readonly provider: string;
}

const operationOf = (
  row: FileRow,
  fixed: OperationName | undefined,
): OperationName | RowProblem => {
  const given = row.fields.operation;
  if (given === undefined) {
    return (
      fixed ?? {
        line: row.line,
        message: 'names no operation: add an operation column, or say `enqueue provision --file …`',
      }
    );
  }
  const name = typeof given === 'string' ? given.trim().toLowerCase() : '';
  if (!(operationNames as readonly string[]).includes(name)) {
    return { line: row.line, message: 'operation must be provision or deprovision' };
  }
  if (fixed && name !== fixed) {
    return { line: row.line, message: `operation is ${name}, but the command says ${fixed}` };
  }

  return name as OperationName;
};

// Two requests for one grower in one file are sent at the same moment, and the functions order
// them by requestedAt, falling back to the send time: their order would be chance.
const raceKey = (request: PlannedRequest) => `${request.leafUserId} ${request.provider}`;

/**
 * Checks every row with the functions' own parser and plans a message for each good one. Rows
 * are never corrected: what is sent is what the file says, less the `operation` column.
 */
export const planRequests = (
  rows: readonly FileRow[],
  fixed?: OperationName,
): { requests: PlannedRequest[]; problems: RowProblem[] } => {
  const requests: PlannedRequest[] = [];
  const problems: RowProblem[] = [];
  const firstLine = new Map<string, { line: number; requestedAt?: unknown }>();

  for (const row of rows) {
    const operation = operationOf(row, fixed);
    if (typeof operation !== 'string') {
      problems.push(operation);
      continue;
    }
    const { operation: _operation, ...fields } = row.fields;
    const body = JSON.stringify(fields);
    const result = checkRequestBody(body, toOperation(operation));
    if (!result.ok) {
      problems.push({
        line: row.line,
        message: result.error.message,
        reasonCode: result.error.reason,
      });
      continue;
    }
    const unknown = Object.keys(fields).filter(
      (name) => !(requestFields as readonly string[]).includes(name),
    );
    if (unknown.length > 0) {
      problems.push({
        line: row.line,
        message: `unknown field ${unknown.join(', ')} (fields: ${requestFields.join(', ')})`,
      });
      continue;
    }
    if (operation === 'deprovision' && fields.secretId !== undefined) {
      problems.push({ line: row.line, message: 'secretId belongs to provision requests only' });
      continue;
    }
    // Checked here, not only by the function, so a secret's value never reaches the queue at all.
    if (typeof fields.secretId === 'string' && !isSecretNameOrArn(fields.secretId)) {
      problems.push({
        line: row.line,
        message:
          "secretId must be a secret's name or ARN: a message never carries the secret itself",
      });
      continue;
    }

    const request: PlannedRequest = {
      line: row.line,
      operation,
      body,
      leafUserId: result.request.leafUserId,
      provider: result.request.provider,
    };
    const earlier = firstLine.get(raceKey(request));
    const ordered =
      earlier?.requestedAt !== undefined &&
      fields.requestedAt !== undefined &&
      earlier.requestedAt !== result.request.requestedAt;
    if (earlier && !ordered) {
      problems.push({
        line: row.line,
        message:
          `same Leaf user and provider as line ${earlier.line}; give both a different ` +
          'requestedAt to order them, or send them in separate runs',
      });
      continue;
    }
    firstLine.set(raceKey(request), {
      line: row.line,
      requestedAt: fields.requestedAt === undefined ? undefined : result.request.requestedAt,
    });
    requests.push(request);
  }

  return { requests, problems };
};
