// Tables for people (cli): the compact, borderless style of kubectl and PM2, upper-case headers,
// two spaces between columns, and a width cap per column so wide tables stay readable at 100 columns.
import Table from 'cli-table3';

const none = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** Renders `rows` under `head`; cells longer than `maxCellWidth` are cut with "…". */
export function compactTable(
  head: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
  maxCellWidth = 40,
): string {
  const cut = (v: string | number) => {
    const text = String(v);
    return text.length > maxCellWidth ? `${text.slice(0, maxCellWidth - 1)}…` : text;
  };
  const table = new Table({
    head: head.map((h) => h.toUpperCase()),
    chars: none,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) table.push(row.map(cut));
  // cli-table3 pads the last column too: trailing spaces help nobody.
  return table
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}
