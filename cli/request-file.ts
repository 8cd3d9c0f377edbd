import { extname } from 'node:path';
import { CsvSyntaxError, parseCsv } from './csv';
import { isCredentialField, requestFields } from './request-check';

/** One row of a bulk file, as written: contract fields and, optionally, `operation`. */
export interface FileRow {
  readonly line: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Something wrong with a line of the file; nothing is sent while any exists. */
export interface RowProblem {
  readonly line: number;
  readonly message: string;
  /** The functions' reason code, when their parser found the problem. */
  readonly reasonCode?: string;
}

export type FileFormat = 'csv' | 'jsonl';

/** Columns a file may have: the contract's fields, and the operation when a file mixes both. */
export const fileColumns: readonly string[] = [...requestFields, 'operation'];

/** The format a file's name announces, if it announces one the command reads. */
export const formatOf = (path: string): FileFormat | undefined => {
  const extension = extname(path).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';

  return undefined;
};

const credentialProblem = (line: number, what: string): RowProblem => ({
  line,
  reasonCode: 'INLINE_CREDENTIALS',
  message:
    `${what} holds a credential; secrets never ride on queues: store them in Secrets Manager ` +
    'and name the secret in secretId',
});

// A bad header makes every row meaningless, so its problems are all that is reported.
const readCsv = (text: string): { rows: FileRow[]; problems: RowProblem[] } => {
  const [header, ...records] = parseCsv(text);
  if (!header) {
    return { rows: [], problems: [] };
  }
  const names = header.cells.map((name) => name.trim());
  const problems: RowProblem[] = [];
  names.forEach((name, index) => {
    if (name === '') {
      problems.push({ line: header.line, message: `column ${index + 1} has no name` });
    } else if (names.indexOf(name) !== index) {
      problems.push({ line: header.line, message: `column ${name} appears twice` });
    } else if (isCredentialField(name)) {
      problems.push(credentialProblem(header.line, `column ${name}`));
    } else if (!fileColumns.includes(name)) {
      problems.push({
        line: header.line,
        message: `unknown column ${name} (columns: ${fileColumns.join(', ')})`,
      });
    }
  });
  if (problems.length > 0) {
    return { rows: [], problems };
  }

  const rows: FileRow[] = [];
  for (const record of records) {
    if (record.cells.length !== names.length) {
      problems.push({
        line: record.line,
        message: `has ${record.cells.length} cells where the header has ${names.length}`,
      });
      continue;
    }
    // Spreadsheets pad cells with spaces; an empty cell means the field is absent.
    const fields = Object.fromEntries(
      names
        .map((name, index) => [name, record.cells[index]?.trim() ?? ''] as const)
        .filter(([, value]) => value !== ''),
    );
    rows.push({ line: record.line, fields });
  }

  return { rows, problems };
};

const readJsonl = (text: string): { rows: FileRow[]; problems: RowProblem[] } => {
  const rows: FileRow[] = [];
  const problems: RowProblem[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((content, index) => {
      const line = index + 1;
      if (content.trim() === '') {
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(content);
      } catch {
        problems.push({ line, message: 'is not JSON' });

        return;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        problems.push({ line, message: 'is not a JSON object' });

        return;
      }
      rows.push({ line, fields: value as Record<string, unknown> });
    });

  return { rows, problems };
};

/** Reads a bulk file's rows; problems of form (not of content) are reported by line. */
export const readRequestFile = (
  text: string,
  format: FileFormat,
): { rows: FileRow[]; problems: RowProblem[] } => {
  if (format === 'jsonl') {
    return readJsonl(text);
  }
  try {
    return readCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) {
      return { rows: [], problems: [{ line: error.line, message: error.message }] };
    }
    throw error;
  }
};
