/** One CSV record and the line it starts on (a quoted cell may span lines). */
export interface CsvRecord {
  readonly line: number;
  readonly cells: readonly string[];
}

/** The text is not CSV: a quoted cell never ends. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

/**
 * Reads CSV as RFC 4180 writes it, and as spreadsheets export it: commas, double quotes doubled
 * inside quoted cells, CRLF or LF line ends, a byte-order mark. Blank lines are skipped.
 */
export const parseCsv = (text: string): CsvRecord[] => {
  const source = text.replace(/^\uFEFF/, '');
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let touched = false;
  let line = 1;
  let recordLine = 1;

  const endRecord = () => {
    const all = [...cells, cell];
    if (touched && all.some((value) => value.trim() !== '')) {
      records.push({ line: recordLine, cells: all });
    }
    cells = [];
    cell = '';
    touched = false;
  };

  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (quoted) {
      if (char === '"' && source[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        line += char === '\n' ? 1 : 0;
        cell += char;
      }
      continue;
    }
    if (char === '"' && cell.trim() === '') {
      quoted = true;
      touched = true;
      cell = '';
    } else if (char === ',') {
      cells.push(cell);
      cell = '';
      touched = true;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && source[i + 1] === '\n') {
        i++;
      }
      endRecord();
      line++;
      recordLine = line;
    } else {
      cell += char;
      touched = true;
    }
  }
  if (quoted) {
    throw new CsvSyntaxError(recordLine, 'a quoted cell is never closed');
  }
  endRecord();

  return records;
};
