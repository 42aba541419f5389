// Line charts as SVG strings (report): several series over one x axis, optional log or "nines"
// axes, horizontal target lines, a legend; `stackedCharts` puts several panels over one shared time
// axis (load, replicas and latency of a simulation). Paths come from d3-shape, scales from d3-scale.
import { curveLinear, curveStepAfter, line } from 'd3-shape';
import { makeScale, paddedExtent, xAxis, yAxis, type AxisSpec, type Scale } from './axis.js';
import { spreadLabels } from './labels.js';
import { el, esc, palette, px } from './svg.js';

/** One line: points as [x, y]; `step` holds each value until the next point (counts, replicas). */
export interface Series {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  color?: string;
  curve?: 'linear' | 'step';
  dashed?: boolean;
  /** Also draw a dot at each point (a series of one point shows only its dot). */
  markers?: boolean;
}

/** A horizontal line across the plot at `y` (a latency target), labelled at its right end. */
export interface TargetLine {
  y: number;
  label: string;
  color?: string;
}

/** A vertical line across every panel at `x` (a ramp step's start), labelled at its top. */
export interface XMarker {
  x: number;
  label: string;
}

/** A measured value with its confidence interval: a dot at (x, y) and a bar from low to high. */
export interface ErrorBar {
  x: number;
  y: number;
  low: number;
  high: number;
  label: string;
}

/** One plot area: its y axis, its lines and its targets. */
export interface Panel {
  y: AxisSpec;
  series: readonly Series[];
  targets?: readonly TargetLine[];
  /** Values with their intervals, drawn over the lines. */
  errorBars?: readonly ErrorBar[];
  /** Height of the plot area in px (default 220). */
  height?: number;
  /** A word in the middle of the plot area ("no failures"), where a flat line alone says little. */
  note?: string;
}

export interface LineChartSpec extends Panel {
  title?: string;
  x: AxisSpec;
  /** Width of the whole SVG in px (default 860). */
  width?: number;
  xMarkers?: readonly XMarker[];
}

export interface StackedChartSpec {
  title?: string;
  /** The shared x axis, drawn under the last panel. */
  x: AxisSpec;
  panels: readonly Panel[];
  width?: number;
  xMarkers?: readonly XMarker[];
}

const margin = { left: 70, right: 150, top: 28, bottom: 44 };
const PANEL_GAP = 18;
/** Baseline to baseline of stacked target labels: the 11 px text and a little air. */
const LABEL_GAP_PX = 13;

/** One chart with one plot area. */
export function lineChart(spec: LineChartSpec): string {
  return stackedCharts({ title: spec.title, x: spec.x, width: spec.width, panels: [spec], xMarkers: spec.xMarkers });
}

/** Several plot areas one above the other over one x axis. */
export function stackedCharts(spec: StackedChartSpec): string {
  const width = spec.width ?? 860;
  const plotW = width - margin.left - margin.right;
  const all = spec.panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x)));
  const x = makeScale(spec.x, extent(all), [margin.left, margin.left + plotW]);
  let top = margin.top;
  const parts: string[] = [];
  if (spec.title) parts.push(el('text', { x: margin.left, y: 18, class: 'chart-title' }, esc(spec.title)));
  spec.panels.forEach((panel, i) => {
    const h = panel.height ?? 220;
    parts.push(drawPanel(panel, x, top, h, plotW, i));
    top += h + PANEL_GAP;
  });
  const bottom = top - PANEL_GAP;
  for (const m of spec.xMarkers ?? []) parts.push(xMarker(m, x(m.x), margin.top, bottom));
  parts.push(xAxis(x, bottom, margin.left, margin.left + plotW, spec.x.label));
  const height = bottom + margin.bottom;
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': spec.title ?? 'chart',
      class: 'chart',
    },
    parts,
  );
}

function drawPanel(panel: Panel, x: Scale, top: number, height: number, plotW: number, index: number): string {
  const ys = [
    ...panel.series.flatMap((s) => s.points.map(([, y]) => y)),
    ...(panel.targets ?? []).map((t) => t.y),
    ...(panel.errorBars ?? []).flatMap((b) => [b.low, b.high]),
  ];
  const kind = panel.y.kind ?? 'linear';
  const y = makeScale(panel.y, paddedExtent(kind, extent(ys)), [top + height, top]);
  const out: string[] = [`<g class="panel" data-panel="${index}">`];
  out.push(yAxis(y, margin.left, top, top + height, plotW, panel.y.label));
  panel.series.forEach((s, i) => {
    const color = s.color ?? palette[i % palette.length]!;
    const path = line<readonly [number, number]>()
      .x((p) => px(x(p[0])))
      .y((p) => px(y(p[1])))
      .defined((p) => Number.isFinite(p[1]) && (kind !== 'log' || p[1] > 0))
      .curve(s.curve === 'step' ? curveStepAfter : curveLinear)(s.points);
    if (path)
      out.push(
        el('path', {
          d: path,
          fill: 'none',
          stroke: color,
          'stroke-width': 1.8,
          'stroke-dasharray': s.dashed ? '5 3' : undefined,
          'data-series': s.name,
        }),
      );
    if (s.markers) {
      const dots = s.points.filter(([, v]) => Number.isFinite(v) && (kind !== 'log' || v > 0));
      for (const [px0, py0] of dots)
        out.push(`<circle cx="${px(x(px0))}" cy="${px(y(py0))}" r="2.5" fill="${esc(color)}" ` + `class="marker"/>`);
    }
    out.push(legendItem(margin.left + plotW + 12, top + 12 + i * 16, color, s.name, s.dashed));
  });
  const targets = panel.targets ?? [];
  // Each label sits just above its line; targets a few pixels apart would print their labels over
  // each other, so those are moved apart (a label may then sit below its line).
  const labelYs = spreadLabels(
    targets.map((t) => y(t.y) - 4),
    LABEL_GAP_PX,
    top + 10,
    top + height - 3,
  );
  targets.forEach((t, i) => {
    const ty = px(y(t.y));
    const color = t.color ?? '#c0392b';
    out.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${ty}" y2="${ty}" ` +
        `stroke="${esc(color)}" stroke-dasharray="2 3" stroke-width="1.2" ` +
        `class="target"/>`,
    );
    out.push(
      el(
        'text',
        { x: margin.left + plotW - 4, y: px(labelYs[i]!), fill: color, 'text-anchor': 'end', class: 'target-label' },
        esc(t.label),
      ),
    );
  });
  const bars = panel.errorBars ?? [];
  for (const b of bars) out.push(errorBar(b, px(x(b.x)), px(y(b.low)), px(y(b.high)), px(y(b.y))));
  if (bars.length > 0)
    out.push(legendItem(margin.left + plotW + 12, top + 12 + panel.series.length * 16, '#222', 'interval'));
  if (panel.note)
    out.push(
      el(
        'text',
        { x: px(margin.left + plotW / 2), y: px(top + height / 2), 'text-anchor': 'middle', class: 'panel-note' },
        esc(panel.note),
      ),
    );
  out.push('</g>');
  return out.join('');
}

/** A vertical bar with caps from `yLow` to `yHigh` (pixels) and a dot at the value; its label as a tooltip. */
function errorBar(b: ErrorBar, x: number, yLow: number, yHigh: number, yValue: number): string {
  const cap = (yy: number) =>
    `<line x1="${x - 4}" x2="${x + 4}" y1="${yy}" y2="${yy}" stroke="#222" stroke-width="1.4"/>`;
  return (
    `<g class="error-bar-group">${el('title', {}, esc(b.label))}` +
    `<line x1="${x}" x2="${x}" y1="${yLow}" y2="${yHigh}" stroke="#222" stroke-width="1.4" class="error-bar"/>` +
    `${cap(yLow)}${cap(yHigh)}<circle cx="${x}" cy="${yValue}" r="3" fill="#222" class="marker"/></g>`
  );
}

function xMarker(m: XMarker, at: number, top: number, bottom: number): string {
  const x = px(at);
  return (
    `<line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}" stroke="#999" ` +
    `stroke-dasharray="1 3" class="x-marker"/>` +
    `${el('text', { x: x + 3, y: top + 10, fill: '#777', class: 'x-marker-label' }, esc(m.label))}`
  );
}

function legendItem(x: number, y: number, color: string, name: string, dashed?: boolean): string {
  return (
    `<line x1="${x}" x2="${x + 16}" y1="${y}" y2="${y}" stroke="${esc(color)}" ` +
    `stroke-width="2"${dashed ? ' stroke-dasharray="5 3"' : ''}/>` +
    `${el('text', { x: x + 20, y: y + 4 }, esc(name))}`
  );
}

function extent(values: readonly number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  return [Math.min(...finite), Math.max(...finite)];
}
