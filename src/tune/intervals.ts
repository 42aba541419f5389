// The intervals of one measurement's percentile targets (tune, pure): the statistics core's block
// bootstrap over the per-second latency windows the measurement kept, at TUNE_CONFIDENCE, the way
// `serve bench` judges its targets. A percentile with too few samples or seconds behind it keeps
// only its point estimate, with the core's note saying why.
import { percentileIntervals, type WindowCounts } from '../stats/index.js';
import type { ProbeCheck } from './types.js';

/** Two-sided level of every interval tune judges by. */
export const TUNE_CONFIDENCE = 0.95;
/** Seed of the bootstrap: the same windows give the same interval. */
export const TUNE_SEED = 1;

const fractionOf: Record<string, number> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99, p999: 0.999 };

/** `checks` with the percentile ones given their interval from `windows` (per-second histograms). */
export function withIntervals(checks: readonly ProbeCheck[], windows: readonly WindowCounts[]): ProbeCheck[] {
  const fractions = checks.map((c) => fractionOf[c.metric]).filter((f): f is number => f !== undefined);
  const hasSamples = windows.some((w) => w.counts.some((n) => n > 0));
  if (fractions.length === 0 || !hasSamples) return [...checks];
  const intervals = percentileIntervals(windows, fractions, { confidence: TUNE_CONFIDENCE, seed: TUNE_SEED });
  return checks.map((c) => {
    const iv = intervals.find((x) => x.fraction === fractionOf[c.metric]);
    if (!iv) return c;
    if (iv.method === 'point') return iv.note ? { ...c, note: iv.note } : c;
    // The interval always holds the measurement's own figure (a histogram's buckets may differ slightly).
    return { ...c, low: Math.min(iv.lowMs, c.actual), high: Math.max(iv.highMs, c.actual) };
  });
}
