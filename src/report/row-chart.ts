// Row charts as SVG strings (report): one row per item (a tune candidate), side by side columns of
// values (p99, cost, rate) each on its own axis with an optional target line, a dot per value on a
// stem, coloured by whether the item met its targets. For items that differ in kind, not along a
// numeric axis, where one x axis of labels would crowd them.
import { makeScale, paddedExtent, xAxis, type AxisKind } from './axis.js';
import { el, esc, px } from './svg.js';

export interface RowItem {
  label: string;
  /** Met its targets (green), missed one (red), or neither (grey). */
  status?: 'pass' | 'fail';
  /** Shaded across the chart (the recommendation). */
  highlight?: boolean;
}

export interface RowColumn {
  /** The axis title under the column ("p99 at 200 req/s (ms, log)"). */
  label: string;
  kind?: Extract<AxisKind, 'linear' | 'log'>;
  /** One per item, in the items' order; undefined draws nothing. */
  values: ReadonlyArray<number | undefined>;
  target?: { value: number; label: string };
  /** Counts (CPUs): ticks only at whole numbers. */
  integer?: boolean;
}

export interface RowChartSpec {
  title: string;
  /** One line under the title: what the colours and the shading mean. */
  key?: string;
  items: readonly RowItem[];
  columns: readonly RowColumn[];
  width?: number;
}

const ROW_PX = 18;
const LABEL_PX = 150;
const GAP_PX = 40;
const TOP_PX = 62;
const BOTTOM_PX = 44;
const colors = { pass: '#59a14f', fail: '#e15759', none: '#888', target: '#c0392b' };
/** About the width of a character of the 11 px chart text, to keep a target's label inside its column. */
const CHAR_PX = 6.5;

/** The chart: item labels on the left, then each column with its axis at the bottom. */
export function rowChart(spec: RowChartSpec): string {
  const width = spec.width ?? 860;
  const n = spec.columns.length;
  const colW = (width - LABEL_PX - 16 - GAP_PX * (n - 1)) / n;
  const bottom = TOP_PX + ROW_PX * spec.items.length;
  const parts: string[] = [el('text', { x: 8, y: 18, class: 'chart-title' }, esc(spec.title))];
  if (spec.key) parts.push(el('text', { x: 8, y: 36, class: 'chart-key' }, esc(spec.key)));
  spec.items.forEach((item, i) => {
    const mid = TOP_PX + ROW_PX * i + ROW_PX / 2;
    if (item.highlight)
      parts.push(
        `<rect x="4" y="${px(mid - ROW_PX / 2)}" width="${width - 8}" height="${ROW_PX}` +
          `" fill="#fff4c2" class="highlight"/>`,
      );
    parts.push(
      el(
        'text',
        {
          x: LABEL_PX - 8,
          y: px(mid + 4),
          'text-anchor': 'end',
          class: item.highlight ? 'row-label recommended' : 'row-label',
        },
        esc(item.label),
      ),
    );
  });
  spec.columns.forEach((col, c) =>
    parts.push(column(col, spec.items, LABEL_PX + c * (colW + GAP_PX), colW, bottom, c)),
  );
  const height = bottom + BOTTOM_PX;
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': spec.title,
      class: 'chart',
    },
    parts,
  );
}

function column(
  col: RowColumn,
  items: readonly RowItem[],
  x0: number,
  w: number,
  bottom: number,
  index: number,
): string {
  const kind = col.kind ?? 'linear';
  const finite = [...col.values, col.target?.value].filter(
    (v): v is number => v !== undefined && Number.isFinite(v) && (kind !== 'log' || v > 0),
  );
  const ext: [number, number] = finite.length > 0 ? [Math.min(...finite), Math.max(...finite)] : [0, 1];
  const x = makeScale({ label: col.label, kind, ticks: 4, integer: col.integer }, paddedExtent(kind, ext), [
    x0,
    x0 + w,
  ]);
  const out: string[] = [`<g class="column" data-column="${index}">`];
  for (const t of x.ticks())
    out.push(`<line x1="${px(x(t))}" x2="${px(x(t))}" y1="${TOP_PX}" y2="${bottom}" ` + `stroke="#eee"/>`);
  col.values.forEach((v, i) => {
    if (v === undefined || !Number.isFinite(v) || (kind === 'log' && v <= 0)) return;
    const y = px(TOP_PX + ROW_PX * i + ROW_PX / 2);
    const color = colors[items[i]!.status ?? 'none'];
    out.push(
      `<line x1="${x0}" x2="${px(x(v))}" y1="${y}" y2="${y}" stroke="${color}" ` +
        `stroke-width="2"/><circle cx="${px(x(v))}" cy="${y}" r="4" fill="${color}" ` +
        `class="marker" data-value="${v}"/>`,
    );
  });
  if (col.target) {
    const tx = px(x(col.target.value));
    out.push(
      `<line x1="${tx}" x2="${tx}" y1="${TOP_PX - 6}" y2="${bottom}" stroke="` +
        `${colors.target}" stroke-dasharray="2 3" stroke-width="1.2" class="target"/>`,
    );
    // Above the rows, on whichever side of the line has room inside the column.
    const roomRight = x0 + w - tx >= col.target.label.length * CHAR_PX + 3;
    out.push(
      el(
        'text',
        {
          x: roomRight ? tx + 3 : tx - 3,
          y: TOP_PX - 8,
          fill: colors.target,
          'text-anchor': roomRight ? 'start' : 'end',
          class: 'target-label',
        },
        esc(col.target.label),
      ),
    );
  }
  out.push(xAxis(x, bottom, x0, x0 + w, col.label), '</g>');
  return out.join('');
}
