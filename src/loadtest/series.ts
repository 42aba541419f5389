// The per-second series of a load run (loadtest): requests sent, answered and failed in each second
// of the measured phase, with that second's latency percentiles. Aggregated as requests finish: the
// only per-request work is a counter and one histogram record; objects are made once a second.
import { isMainThread } from 'node:worker_threads';
import { decodeHistogram, encodeHistogram, newHistogram, recordMs, type Histogram } from './histogram.js';

/** One second of a run: `second` counts from the start of the measured phase. */
export interface SecondRow {
  second: number;
  /** Requests that left the client in this second. */
  sent: number;
  /** Successes and failures that finished in this second. */
  ok: number;
  errors: number;
  /** Latency (from the intended send time) of the successes that finished in this second; 0 when none. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** What a worker thread hands back: its rows, and each second's histogram for an exact merge. */
export interface SeriesPart {
  rows: SecondRow[];
  histograms: Array<string | undefined>;
}

export class PerSecondSeries {
  private readonly rows: SecondRow[] = [];
  /** Encoded histogram of every closed second; kept only in worker threads, whose parts are merged. */
  private readonly encoded: Array<string | undefined> | undefined;
  private readonly open: Histogram = newHistogram();
  private openSecond = -1;
  private lastSecond = 0;

  constructor(
    private readonly startMs: number,
    keepHistograms = !isMainThread,
  ) {
    if (keepHistograms) this.encoded = [];
  }

  sent(atMs: number): void {
    this.row(this.secondOf(atMs)).sent++;
  }

  ok(atMs: number, latencyMs: number): void {
    const s = this.secondOf(atMs);
    if (s !== this.openSecond) this.roll(s);
    this.row(s).ok++;
    recordMs(this.open, latencyMs);
  }

  /** A failure at `atMs`, or in the latest second seen when its time is not known. */
  error(atMs?: number): void {
    this.row(atMs === undefined ? this.lastSecond : this.secondOf(atMs)).errors++;
  }

  /** Closes the open second; every second up to the last one seen, gaps as zero rows. */
  finish(): SecondRow[] {
    this.roll(-1);
    return Array.from({ length: this.rows.length }, (_, i) => this.rows[i] ?? emptyRow(i));
  }

  /** The rows and, in a worker, each second's histogram. */
  export(): SeriesPart {
    const rows = this.finish();
    return { rows, histograms: this.encoded ? rows.map((_, i) => this.encoded![i]) : [] };
  }

  private secondOf(atMs: number): number {
    const s = Math.max(0, Math.floor((atMs - this.startMs) / 1000));
    if (s > this.lastSecond) this.lastSecond = s;
    return s;
  }

  private row(s: number): SecondRow {
    return (this.rows[s] ??= emptyRow(s));
  }

  /** Writes the open second's percentiles into its row and starts recording second `next`. */
  private roll(next: number): void {
    const h = this.open;
    if (this.openSecond >= 0 && h.totalCount > 0) {
      fillPercentiles(this.row(this.openSecond), h);
      if (this.encoded) this.encoded[this.openSecond] = encodeHistogram(h);
      h.reset();
    }
    this.openSecond = next;
  }
}

/** p50, p99 and max of `h` into `row` (a percentile reads at most the max: HDR rounds to its bucket's top). */
function fillPercentiles(row: SecondRow, h: Histogram): void {
  row.maxMs = h.maxValue / 1000;
  row.p50Ms = Math.min(row.maxMs, h.getValueAtPercentile(50) / 1000);
  row.p99Ms = Math.min(row.maxMs, h.getValueAtPercentile(99) / 1000);
}

function emptyRow(second: number): SecondRow {
  return { second, sent: 0, ok: 0, errors: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
}

/** Merges the parts of several workers of one phase: counts add up, percentiles from the merged histograms. */
export function mergeSeries(parts: readonly SeriesPart[]): SecondRow[] {
  const length = Math.max(0, ...parts.map((p) => p.rows.length));
  const out: SecondRow[] = [];
  for (let s = 0; s < length; s++) {
    const row = emptyRow(s);
    const h = newHistogram();
    for (const p of parts) {
      const r = p.rows[s];
      if (!r) continue;
      row.sent += r.sent;
      row.ok += r.ok;
      row.errors += r.errors;
      const e = p.histograms[s];
      if (e) h.add(decodeHistogram(e));
    }
    if (h.totalCount > 0) fillPercentiles(row, h);
    out.push(row);
  }
  return out;
}

/** Several phases' rows on one time line (ramp steps one after another), `offsets` in whole seconds. */
export function concatSeries(parts: ReadonlyArray<{ rows: readonly SecondRow[]; offsetSeconds: number }>): SecondRow[] {
  const out: SecondRow[] = [];
  for (const p of parts) for (const r of p.rows) out.push({ ...r, second: r.second + p.offsetSeconds });
  return out;
}
