import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from './errors';
import type { CliIo } from './io';
import { writeJson, writeLine } from './output';
import type { OperationName } from './request-check';
import { formatOf, type RowProblem, readRequestFile } from './request-file';
import { type PlannedRequest, planRequests } from './request-plan';

/** A bulk file read and checked: the requests to send, or why none may be sent. */
export interface BulkFile {
  readonly requests: PlannedRequest[];
  readonly problems: RowProblem[];
  /** Rows read, good and bad. */
  readonly rows: number;
}

// Enough to see the pattern of a bad export; --json lists every one.
const maxProblemsShown = 50;

/** Reads a .csv or .jsonl file of requests and checks every row, as `--file` names it. */
export const readBulkFile = async (
  cwd: string,
  path: string,
  operation?: OperationName,
): Promise<BulkFile> => {
  const format = formatOf(path);
  if (!format) {
    throw new UsageError(`--file ${path}: name a .csv or .jsonl file`);
  }
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new UsageError(
      `--file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    );
  }
  const read = readRequestFile(text, format);
  const plan = planRequests(read.rows, operation);

  return { ...plan, problems: [...read.problems, ...plan.problems], rows: read.rows.length };
};

/** Lists a file's problems by line: on stdout as the result, with the verdict on stderr. */
export const reportRowProblems = (
  io: CliIo,
  json: boolean,
  problems: readonly RowProblem[],
  rows: number,
): void => {
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  if (json) {
    writeJson(io.stdout, { sent: [], problems: sorted });
  } else {
    for (const problem of sorted.slice(0, maxProblemsShown)) {
      const code = problem.reasonCode ? ` (${problem.reasonCode})` : '';
      writeLine(io.stdout, `line ${problem.line}: ${problem.message}${code}`);
    }
    if (sorted.length > maxProblemsShown) {
      writeLine(
        io.stdout,
        `… and ${sorted.length - maxProblemsShown} more (all of them with --json)`,
      );
    }
  }
  const lines = new Set(sorted.map((problem) => problem.line)).size;
  writeLine(
    io.stderr,
    `nothing sent: ${lines} line(s) have problems (${rows} request row(s) read)`,
  );
};
