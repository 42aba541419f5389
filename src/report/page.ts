// The self-contained HTML report page (report): a title, sections of text, charts (inline SVG) and
// tables, with its styles inline. It needs nothing from the network and no script to show.
import { el, esc } from './svg.js';

/** A table of plain cells (escaped). */
export interface Table {
  head: readonly string[];
  rows: ReadonlyArray<ReadonlyArray<string | number>>;
}

/** One part of the page: a heading and any of paragraphs, charts (SVG strings) and tables. */
export interface PageSection {
  heading: string;
  paragraphs?: readonly string[];
  charts?: readonly string[];
  tables?: readonly Table[];
  /** Small print after the tables (what a table's figures cover, the verdict). */
  notes?: readonly string[];
}

export interface PageSpec {
  title: string;
  /** One line under the title (what was run, when). */
  subtitle?: string;
  sections: readonly PageSection[];
}

const style =
  `body{font:14px/1.45 system-ui,-apple-system,Segoe ` +
  `UI,Helvetica,Arial,sans-serif;color:#222;margin:24px ` +
  `auto;max-width:960px;padding:0 16px}
h1{font-size:22px;margin:0 0 ` +
  `4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid ` +
  `#ddd;padding-bottom:4px}
.sub{color:#666;margin:0 0 ` +
  `16px}svg.chart{display:block;margin:8px 0;font-size:11px}svg ` +
  `text{fill:#333}
.chart-title{font-weight:600;font-size:13px}.axis-title{fill:#555}table{border-collapse:collapse;margin:8px ` +
  `0}
td,th{border-bottom:1px solid #eee;padding:3px ` +
  `10px;text-align:right}th{text-align:right;color:#555;font-weight:600}
td:first-child,th:first-child,td:last-child,th:last-child{text-align:left}td:not(:last-child){white-space:nowrap}.note{color:#555;margin:4px ` +
  `0;font-size:13px}.x-marker-label{fill:#777}
.pass{color:#1e7b34;background:#e3f4e6}.fail{color:#b3261e;background:#fbe4e2;font-weight:600}p.pass,p.fail{display:inline-block;padding:2px ` +
  `8px;border-radius:3px}
.target-label,.panel-note{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}.panel-note{fill:#555;font-size:12px}
.chart-key{fill:#555}.recommended{font-weight:600}`;

/** A verdict word opening a cell or paragraph ("PASS", "FAIL: p99 ...", a ramp step's "met"/"missed") colours it. */
function statusClass(text: string | number): 'pass' | 'fail' | undefined {
  const s = String(text);
  if (/^(PASS|met)\b/.test(s)) return 'pass';
  if (/^(FAIL|missed)\b/.test(s)) return 'fail';
  return undefined;
}

/** A table as HTML. */
export function tableHtml(t: Table): string {
  const head = el(
    'tr',
    {},
    t.head.map((h) => el('th', {}, esc(h))),
  );
  const rows = t.rows.map((r) =>
    el(
      'tr',
      {},
      r.map((c) => el('td', { class: statusClass(c) }, esc(c))),
    ),
  );
  return el('table', {}, [el('thead', {}, head), el('tbody', {}, rows)]);
}

/** The whole page as one HTML document. */
export function htmlPage(spec: PageSpec): string {
  const body: string[] = [el('h1', {}, esc(spec.title))];
  if (spec.subtitle) body.push(el('p', { class: 'sub' }, esc(spec.subtitle)));
  for (const s of spec.sections) {
    body.push(el('h2', {}, esc(s.heading)));
    for (const p of s.paragraphs ?? []) body.push(el('p', { class: statusClass(p) }, esc(p)));
    for (const c of s.charts ?? []) body.push(c);
    for (const t of s.tables ?? []) body.push(tableHtml(t));
    for (const n of s.notes ?? []) body.push(el('p', { class: 'note' }, esc(n)));
  }
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta ` +
    `name="viewport" content="width=device-width, initial-scale=1"><title>` +
    `${esc(spec.title)}</title><style>${style}</style></head><body>${body.join('\n')}` +
    `</body></html>\n`
  );
}
