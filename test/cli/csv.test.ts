import { CsvSyntaxError, parseCsv } from '../../cli/csv';

describe('parseCsv', () => {
  it('reads quoted cells with commas, doubled quotes and line breaks', () => {
    // GIVEN
    const text = 'a,b\r\n"x, y","say ""hi"""\r\n"two\nlines",z\r\n';

    // WHEN
    const records = parseCsv(text);

    // THEN
    expect(records).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x, y', 'say "hi"'] },
      { line: 3, cells: ['two\nlines', 'z'] },
    ]);
  });

  it('numbers records by the line they start on and skips blank lines', () => {
    // GIVEN
    const text = '\uFEFFleafUserId\n\n"multi\nline"\n  \nlast';

    // WHEN
    const records = parseCsv(text);

    // THEN
    expect(records.map((record) => record.line)).toEqual([1, 3, 6]);
  });

  it('throws with the line of the cell when a quoted cell never ends', () => {
    // GIVEN
    const text = 'a\n"open\nstill open';

    // WHEN
    const parse = () => parseCsv(text);

    // THEN
    expect(parse).toThrow(CsvSyntaxError);
    expect(parse).toThrow(expect.objectContaining({ line: 2 }));
  });
});
