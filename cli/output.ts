import { formatTable } from '../local/format-table';
import type { OutputStream } from './io';

/** Writes one line. */
export const writeLine = (stream: OutputStream, text = ''): void => {
  stream.write(`${text}\n`);
};

/** Writes a result for scripts: one JSON document, indented so a person can read it too. */
export const writeJson = (stream: OutputStream, value: unknown): void => {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
};

/** Writes rows as an aligned table, or a note when there are none. */
export const writeTable = (
  stream: OutputStream,
  rows: readonly Record<string, string>[],
  empty: string,
): void => {
  writeLine(stream, rows.length > 0 ? formatTable(rows) : `  ${empty}`);
};

/** An ISO time to the second: milliseconds only widen a table. */
export const shortTime = (iso: string | undefined): string =>
  iso ? iso.replace(/\.\d+Z$/, 'Z') : '-';

/** A value for a table cell; absent values show as a dash. */
export const cell = (value: string | number | undefined | null): string =>
  value === undefined || value === null || value === '' ? '-' : String(value);
