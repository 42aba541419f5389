// Intervals for an error rate and a throughput (stats, pure): the same block bootstrap over the
// run's seconds, on (failures, requests) and successes per second. An error rate's interval is
// widened to at least the Wilson score interval, which stays honest when failures are rare.
import { seededRandom } from '../common/random.js';
import { replicatesFor, sortedQuantile, MIN_WINDOWS, type IntervalOptions } from './bootstrap.js';
import { zTwoSided } from './normal.js';

export interface RateWindow {
  ok: number;
  errors: number;
}

export interface ValueInterval {
  estimate: number;
  low: number;
  high: number;
  method: 'block-bootstrap' | 'point';
  note?: string;
}

/** Replicates of `stat` over moving blocks of `windows`. */
function blockReplicates<T>(windows: readonly T[], stat: (picked: T[]) => number, opts: IntervalOptions): Float64Array {
  const n = windows.length;
  const block = Math.min(n, Math.max(1, opts.blockWindows ?? Math.round(Math.cbrt(n))));
  const random = seededRandom(opts.seed);
  const out = new Float64Array(opts.replicates ?? replicatesFor(opts.confidence));
  const picked = new Array<T>(n);
  for (let r = 0; r < out.length; r++) {
    for (let filled = 0; filled < n;) {
      const start = Math.floor(random() * (n - block + 1));
      for (let j = 0; j < block && filled < n; j++) picked[filled++] = windows[start + j]!;
    }
    out[r] = stat(picked);
  }
  return out.sort();
}

/** Wilson score interval for `k` events in `n` trials. */
export function wilson(k: number, n: number, confidence: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = zTwoSided(confidence);
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

const errorRateOf = (ws: readonly RateWindow[]) => {
  let e = 0,
    t = 0;
  for (const w of ws) {
    e += w.errors;
    t += w.ok + w.errors;
  }
  return t === 0 ? 0 : e / t;
};

/** Error rate errors/(ok+errors) with its interval. Zero failures give [0, 0]: they meet a 0% target. */
export function errorRateInterval(windows: readonly RateWindow[], opts: IntervalOptions): ValueInterval {
  const estimate = errorRateOf(windows);
  const errors = windows.reduce((a, w) => a + w.errors, 0);
  const total = windows.reduce((a, w) => a + w.ok + w.errors, 0);
  if (opts.confidence <= 0 || errors === 0) return { estimate, low: estimate, high: estimate, method: 'point' };
  if (windows.length < MIN_WINDOWS)
    return {
      estimate,
      low: estimate,
      high: estimate,
      method: 'point',
      note: `too few seconds for an interval (${windows.length} < ${MIN_WINDOWS}): point estimate`,
    };
  const reps = blockReplicates(windows, errorRateOf, opts);
  const alpha = 1 - opts.confidence;
  const [wl, wh] = wilson(errors, total, opts.confidence);
  return {
    estimate,
    low: Math.min(estimate, wl, sortedQuantile(reps, alpha / 2)),
    high: Math.max(estimate, wh, sortedQuantile(reps, 1 - alpha / 2)),
    method: 'block-bootstrap',
  };
}

/** Successes per second (mean over the windows, each one second long) with its interval. */
export function throughputInterval(windows: readonly RateWindow[], opts: IntervalOptions): ValueInterval {
  const mean = (ws: readonly RateWindow[]) => (ws.length === 0 ? 0 : ws.reduce((a, w) => a + w.ok, 0) / ws.length);
  const estimate = mean(windows);
  if (opts.confidence <= 0) return { estimate, low: estimate, high: estimate, method: 'point' };
  if (windows.length < MIN_WINDOWS)
    return {
      estimate,
      low: estimate,
      high: estimate,
      method: 'point',
      note: `too few seconds for an interval (${windows.length} < ${MIN_WINDOWS}): point estimate`,
    };
  const reps = blockReplicates(windows, mean, opts);
  const alpha = 1 - opts.confidence;
  return {
    estimate,
    low: Math.min(estimate, sortedQuantile(reps, alpha / 2)),
    high: Math.max(estimate, sortedQuantile(reps, 1 - alpha / 2)),
    method: 'block-bootstrap',
  };
}
