// Scales and axes of the plots (report): linear, log, time (seconds shown as clock time) and a
// "nines" scale for percentile spectra (90%, 99%, 99.9% equally spaced), from d3-scale, drawn as
// SVG ticks with labels.
import { scaleLinear, scaleLog } from 'd3-scale';
import { el, esc, px } from './svg.js';

/** How one axis maps values: `nines` takes percentiles (0-100) and spaces each extra nine equally. */
export type AxisKind = 'linear' | 'log' | 'time' | 'nines';

export interface AxisSpec {
  label: string;
  kind?: AxisKind;
  /** [min, max] of the values; default: the data's extent (from 0 for linear y axes). */
  domain?: [number, number];
  /** Tick label text; default by kind (time: m:ss or h:mm:ss, nines: "99.9%"). */
  format?: (v: number) => string;
  /** Approximate tick count. */
  ticks?: number;
  /** Exactly these ticks (those inside the domain) instead of the kind's own, e.g. [0, 50, 90, 99] on a nines axis. */
  tickValues?: readonly number[];
  /** Counts: ticks only at whole numbers (a count of 0 or 1 has no 0.2). */
  integer?: boolean;
}

/** A scale from data to pixels with its ticks. */
export interface Scale {
  (v: number): number;
  ticks(): number[];
  format(v: number): string;
}

/** -log10(1 - p/100): 90% → 1, 99% → 2, 99.9% → 3. */
export function ninesOf(percentile: number): number {
  return -Math.log10(Math.max(1e-9, 1 - percentile / 100));
}

/** Builds the scale of an axis over `extent` onto the pixel range [from, to]. */
export function makeScale(spec: AxisSpec, extent: [number, number], range: [number, number]): Scale {
  const kind = spec.kind ?? 'linear';
  const [lo, hi] = spec.domain ?? extent;
  const n = spec.ticks ?? 6;
  let f: ((v: number) => number) & { ticks(n: number): number[] };
  let fmt: (v: number) => string;
  if (kind === 'log') {
    const s = scaleLog()
      .domain([Math.max(lo, 1e-9), Math.max(hi, lo * 10, 1e-8)])
      .range(range)
      .clamp(true);
    f = Object.assign((v: number) => s(Math.max(v, 1e-9)), {
      ticks: () => s.ticks(n).filter((t) => [1, 2, 5].includes(Math.round(t / 10 ** Math.floor(Math.log10(t) + 1e-9)))),
    });
    fmt = (v) => trim(v);
  } else if (kind === 'nines') {
    const s = scaleLinear()
      .domain([ninesOf(lo), ninesOf(hi)])
      .range(range);
    const maxNine = Math.floor(ninesOf(hi) + 1e-9);
    f = Object.assign((v: number) => s(ninesOf(v)), {
      ticks: () => Array.from({ length: maxNine + 1 }, (_, i) => 100 * (1 - 10 ** -i)),
    });
    fmt = (v) => `${trim(v)}%`;
  } else {
    const s = scaleLinear()
      .domain([lo, hi === lo ? lo + 1 : hi])
      .range(range);
    f = Object.assign((v: number) => s(v), {
      ticks: (k: number) => (kind === 'time' ? timeTicks(lo, hi, k) : s.ticks(k)),
    });
    fmt = kind === 'time' ? clockText : (v) => trim(v);
  }
  const format = spec.format ?? fmt;
  const [dLo, dHi] = [Math.min(lo, hi), Math.max(lo, hi)];
  const whole = (ts: number[]) => (spec.integer ? ts.filter((t) => Number.isInteger(t)) : ts);
  const ticks = spec.tickValues
    ? () => spec.tickValues!.filter((t) => t >= dLo - 1e-9 && t <= dHi + 1e-9)
    : () => whole(f.ticks(n));
  return Object.assign((v: number) => f(v), { ticks, format });
}

/**
 * The extent a value axis shows: linear from 0 with room above the highest value, log over whole
 * decades, otherwise the values' own.
 */
export function paddedExtent(kind: AxisKind, [lo, hi]: [number, number]): [number, number] {
  if (kind === 'linear') return [Math.min(0, lo), hi === 0 ? 1 : hi * 1.08];
  if (kind === 'log')
    return [
      10 ** Math.floor(Math.log10(Math.max(lo, 1e-9))),
      10 ** Math.ceil(Math.log10(Math.max(hi, lo, 1e-9)) - 1e-9),
    ];
  return [lo, hi];
}

/** Ticks at round clock intervals (10 s, 30 s, 1 min, 5 min, ...). */
function timeTicks(lo: number, hi: number, n: number): number[] {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];
  const step = steps.find((s) => (hi - lo) / s <= n) ?? 86_400;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(t);
  return out;
}

/** Seconds as "m:ss", or "h:mm:ss" from an hour. */
export function clockText(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A number without needless digits: 1, 2.5, 0.001, 1200. */
function trim(v: number): string {
  return String(+v.toPrecision(6));
}

/** The x axis along the bottom of a plot area: tick marks, labels and the axis title. */
export function xAxis(scale: Scale, y: number, x0: number, x1: number, label: string): string {
  const ticks = scale.ticks().map((t) => {
    const x = px(scale(t));
    return (
      `<line x1="${x}" x2="${x}" y1="${y}" y2="${y + 4}" stroke="#555"/>` +
      `${el('text', { x, y: y + 16, 'text-anchor': 'middle' }, esc(scale.format(t)))}`
    );
  });
  return (
    `<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="#555"/>` +
    `${ticks.join('')}` +
    `${el('text', { x: px((x0 + x1) / 2), y: y + 32, 'text-anchor': 'middle', class: 'axis-title' }, esc(label))}`
  );
}

/** The y axis along the left of a plot area, with light grid lines across it. */
export function yAxis(scale: Scale, x: number, y0: number, y1: number, width: number, label: string): string {
  const ticks = scale.ticks().map((t) => {
    const y = px(scale(t));
    return (
      `<line x1="${x}" x2="${x + width}" y1="${y}" y2="${y}" stroke="#e5e5e5"/><line ` +
      `x1="${x - 4}" x2="${x}" y1="${y}" y2="${y}" stroke="#555"/>` +
      `${el('text', { x: x - 6, y: y + 4, 'text-anchor': 'end' }, esc(scale.format(t)))}`
    );
  });
  const mid = px((y0 + y1) / 2);
  return (
    `<line x1="${x}" x2="${x}" y1="${y0}" y2="${y1}" stroke="#555"/>` +
    `${ticks.join('')}` +
    `${el('text', { x: 14, y: mid, 'text-anchor': 'middle', transform: `rotate(-90 14 ${mid})`, class: 'axis-title' }, esc(label))}`
  );
}
