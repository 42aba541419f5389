// Confidence intervals for latency percentiles (stats, pure): a moving-block bootstrap over a run's
// per-second windows. Resampling whole windows keeps the correlation inside a second (a stall
// slows every request in it); resampling runs of adjacent windows keeps the correlation between
// neighbouring seconds (a GC or a noisy neighbour lasting a few seconds). Seeded: same data, same
// interval.
import { seededRandom } from '../common/random.js';
import { normalQuantile, tQuantile } from './normal.js';
import { gridOf, mergeInto, pooledQuantile, quantilesOfDense, type WindowCounts, type WindowGrid } from './windows.js';

/** How an interval is computed. `replicates` and `blockWindows` have defaults fit for 10 s to 1 h runs. */
export interface IntervalOptions {
  /** Two-sided level as a fraction, e.g. 0.95. */
  confidence: number;
  seed: number;
  /** Bootstrap replicates (default: replicatesFor(confidence), 400 at 95%). */
  replicates?: number;
  /** Windows per block (default: the cube root of the window count, at least 1, the usual rate for block bootstraps). */
  blockWindows?: number;
}

/**
 * A percentile must have at least this many samples expected beyond it (N·(1-p)) for an interval:
 * with fewer, the bootstrap only reshuffles a handful of tail values and its interval is too
 * narrow (the simulation in test/stats shows coverage falling off below it).
 */
export const MIN_TAIL_SAMPLES = 20;
/** And at least this many windows (seconds): a block bootstrap of five windows knows nothing of their spread. */
export const MIN_WINDOWS = 8;

/** A percentile with its interval, or only its point estimate when the data are too few. */
export interface PercentileInterval {
  fraction: number;
  estimateMs: number;
  /** Equal to estimateMs when `method` is 'point'. */
  lowMs: number;
  highMs: number;
  method: 'block-bootstrap' | 'point';
  /** Why only a point estimate (too few samples or windows), when so. */
  note?: string;
  /** Standard deviation of log(percentile) across replicates: the run's noise, for the minimum detectable effect. */
  seLog: number;
  samples: number;
  windows: number;
}

/** Why `fraction` gets no interval from `samples` in `windows`, or undefined when it can have one. */
export function tooFew(fraction: number, samples: number, windows: number): string | undefined {
  const needed = Math.ceil(MIN_TAIL_SAMPLES / (1 - fraction));
  if (samples < needed) return `too few samples for an interval (${samples} < ${needed}): point estimate`;
  if (windows < MIN_WINDOWS) return `too few seconds for an interval (${windows} < ${MIN_WINDOWS}): point estimate`;
  return undefined;
}

/**
 * Per window, the cumulative count at each grid value, all windows in one flat array (window k's
 * row starts at k · grid length): a replicate's count up to a value is then a weighted sum over the
 * windows it picked, and a percentile a binary search over the grid, about 60 · 12 additions
 * instead of merging thousands of buckets (a 60 s run's intervals in milliseconds).
 */
function cumulativeCounts(grid: WindowGrid): Float64Array {
  const g = grid.gridMs.length;
  const cum = new Float64Array(grid.index.length * g);
  grid.index.forEach((idx, k) => {
    const cnt = grid.count[k]!;
    const row = k * g;
    for (let i = 0; i < idx.length; i++) cum[row + idx[i]!]! += cnt[i]!;
    for (let j = 1; j < g; j++) cum[row + j]! += cum[row + j - 1]!;
  });
  return cum;
}

/**
 * Default replicates: the Monte-Carlo error of an endpoint (the α/2 quantile of B replicates) at
 * most 7% of the half-width, for a normal spread: B = (sqrt(q(1-q)) / φ(z) / (0.07 z))², q = α/2,
 * rounded up to a hundred. 400 at 95%, 800 at 99%. */
export function replicatesFor(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) return 400;
  const q = (1 - confidence) / 2;
  const z = normalQuantile(1 - q);
  const density = Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
  return Math.max(200, Math.ceil((Math.sqrt(q * (1 - q)) / density / (0.07 * z)) ** 2 / 100) * 100);
}

/** Bootstrap replicates of each fraction's percentile: result[f][r]. */
export function replicatePercentiles(
  grid: WindowGrid,
  fractions: readonly number[],
  opts: Omit<IntervalOptions, 'confidence'> & { confidence?: number },
): Float64Array[] {
  const n = grid.index.length;
  const reps = opts.replicates ?? replicatesFor(opts.confidence ?? 0.95);
  const block = blockLength(n, opts.blockWindows);
  const random = seededRandom(opts.seed);
  const out = fractions.map(() => new Float64Array(reps));
  // Many windows (over 10 minutes of seconds) make the weighted sums and tables large: merge buckets instead.
  if (n > 600 || n * grid.gridMs.length > 4_000_000) return replicateByMerging(grid, fractions, reps, block, random);
  const cum = cumulativeCounts(grid);
  const g = grid.gridMs.length;
  const last = g - 1;
  const weight = new Int32Array(n);
  const picked = new Int32Array(n);
  const pickedWeight = new Float64Array(n);
  // Fractions in ascending order: each binary search starts where the previous one ended.
  const order = fractions.map((_, i) => i).sort((a, b) => fractions[a]! - fractions[b]!);
  for (let r = 0; r < reps; r++) {
    weight.fill(0);
    let np = 0;
    let total = 0;
    for (let filled = 0; filled < n;) {
      const start = Math.floor(random() * (n - block + 1));
      for (let j = 0; j < block && filled < n; j++, filled++) {
        const k = start + j;
        if (weight[k]++ === 0) picked[np++] = k * g;
        total += grid.totals[k]!;
      }
    }
    if (total <= 0) continue;
    for (let p = 0; p < np; p++) pickedWeight[p] = weight[picked[p]! / g]!;
    let lo = 0;
    for (const i of order) {
      const rank = Math.max(1, Math.ceil(fractions[i]! * total - 1e-9));
      let hi = last;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        let c = 0;
        for (let p = 0; p < np; p++) c += pickedWeight[p]! * cum[picked[p]! + mid]!;
        if (c >= rank) hi = mid;
        else lo = mid + 1;
      }
      out[i]![r] = grid.gridMs[lo]!;
    }
  }
  return out;
}

/** The same replicates by adding each replicate's buckets into one array: slower, constant memory. */
function replicateByMerging(
  grid: WindowGrid,
  fractions: readonly number[],
  reps: number,
  block: number,
  random: () => number,
): Float64Array[] {
  const n = grid.index.length;
  const out = fractions.map(() => new Float64Array(reps));
  const order = fractions.map((_, i) => i).sort((a, b) => fractions[a]! - fractions[b]!);
  const dense = new Float64Array(grid.gridMs.length);
  const picks = new Int32Array(n);
  for (let r = 0; r < reps; r++) {
    for (let filled = 0; filled < n;) {
      const start = Math.floor(random() * (n - block + 1));
      for (let j = 0; j < block && filled < n; j++) picks[filled++] = start + j;
    }
    quantilesOfDense(
      grid.gridMs,
      dense,
      mergeInto(grid, picks, dense),
      order.map((i) => fractions[i]!),
      order.map((i) => out[i]!),
      r,
    );
  }
  return out;
}

/** The `q` quantile (0..1) of sorted values, linearly interpolated. */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Windows per block for `n` windows. */
export function blockLength(n: number, blockWindows?: number): number {
  return Math.min(n, Math.max(1, blockWindows ?? Math.round(Math.cbrt(n))));
}

/**
 * How much to stretch a bootstrap interval (in log space, around the estimate) for the few
 * independent blocks a short run holds: the ratio of Student's t with (blocks - 1) degrees of
 * freedom to the normal z. A 30 s run has 10 blocks of 3 s, and a plain percentile bootstrap then
 * covers about 83% where it claims 95% (test/stats); with t it covers what it claims.
 */
export function smallSampleWidening(n: number, opts: Pick<IntervalOptions, 'confidence' | 'blockWindows'>): number {
  const blocks = Math.floor(n / blockLength(n, opts.blockWindows));
  const p = 1 - (1 - opts.confidence) / 2;
  return blocks >= 2 ? tQuantile(p, Math.max(3, blocks - 1)) / normalQuantile(p) : 1;
}

/** Standard deviation of the logs of positive values (0 when fewer than two). */
export function sdLog(values: ArrayLike<number>): number {
  let n = 0,
    sum = 0,
    sq = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v > 0)) continue;
    const l = Math.log(v);
    n++;
    sum += l;
    sq += l * l;
  }
  return n < 2 ? 0 : Math.sqrt(Math.max(0, (sq - (sum * sum) / n) / (n - 1)));
}

/**
 * Intervals for several percentiles of one run (fractions such as 0.5, 0.99) at `opts.confidence`.
 * confidence 0 gives point estimates only (the gates' old behaviour).
 */
export function percentileIntervals(
  windows: readonly WindowCounts[],
  fractions: readonly number[],
  opts: IntervalOptions,
): PercentileInterval[] {
  const grid = gridOf(windows);
  const samples = grid.totals.reduce((a, b) => a + b, 0);
  const nonEmpty = grid.totals.filter((t) => t > 0).length;
  const wanted = fractions.filter((f) => opts.confidence > 0 && tooFew(f, samples, nonEmpty) === undefined);
  const reps = wanted.length > 0 ? replicatePercentiles(grid, wanted, opts) : [];
  const alpha = 1 - opts.confidence;
  return fractions.map((fraction) => {
    const estimateMs = pooledQuantile(grid, fraction);
    const base = { fraction, estimateMs, samples, windows: nonEmpty };
    const i = wanted.indexOf(fraction);
    if (i < 0) {
      const note = opts.confidence > 0 ? tooFew(fraction, samples, nonEmpty) : undefined;
      return { ...base, lowMs: estimateMs, highMs: estimateMs, method: 'point', seLog: 0, ...(note && { note }) };
    }
    const sorted = Float64Array.from(reps[i]!).sort();
    const widen = smallSampleWidening(grid.index.length, opts);
    return {
      ...base,
      // The interval always holds the run's own figure (a discrete tail can put it at an edge).
      lowMs: estimateMs * Math.min(1, (sortedQuantile(sorted, alpha / 2) / estimateMs) ** widen),
      highMs: estimateMs * Math.max(1, (sortedQuantile(sorted, 1 - alpha / 2) / estimateMs) ** widen),
      method: 'block-bootstrap',
      seLog: sdLog(sorted),
    };
  });
}
