// The ratio of two runs' percentiles with its interval (stats, pure): candidate / baseline, each
// run bootstrapped over its own windows independently (two runs share no windows), the ratio
// taken replicate by replicate.
import { zTwoSided } from './normal.js';
import { replicatePercentiles, sdLog, sortedQuantile, tooFew, type IntervalOptions } from './bootstrap.js';
import { gridOf, pooledQuantile, type WindowCounts } from './windows.js';
import { mdeFromSeLog } from './mde.js';

export interface RatioInterval {
  fraction: number;
  /** candidate / baseline of the pooled percentiles. */
  ratio: number;
  low: number;
  high: number;
  method: 'block-bootstrap' | 'point';
  note?: string;
  /** Relative change this pair of runs would detect with 80% power (0.12 = 12%); null without an interval. */
  mde: number | null;
  /** Standard error of log(ratio) from both runs' replicates (0 without an interval): what calibration scales. */
  seLog: number;
}

/** Ratio intervals for each fraction: `candidate` over `baseline`. */
export function ratioIntervals(
  candidate: readonly WindowCounts[],
  baseline: readonly WindowCounts[],
  fractions: readonly number[],
  opts: IntervalOptions & { paired?: boolean },
): RatioInterval[] {
  const gc = gridOf(candidate);
  const gb = gridOf(baseline);
  const count = (g: typeof gc) => [g.totals.reduce((a, b) => a + b, 0), g.totals.filter((t) => t > 0).length] as const;
  const [nc, wc] = count(gc);
  const [nb, wb] = count(gb);
  const noteOf = (f: number) => (opts.confidence > 0 ? (tooFew(f, nc, wc) ?? tooFew(f, nb, wb)) : undefined);
  const wanted = fractions.filter((f) => opts.confidence > 0 && noteOf(f) === undefined);
  // Two unrelated runs: different seeds, so each side's windows are picked independently. Paired
  // runs (interleaved A B B A, window k of each side a few seconds apart) with as many windows:
  // the same seed picks the same positions on both sides, so drift both sides saw cancels in
  // the ratio instead of widening it.
  const paired = opts.paired === true && gc.index.length === gb.index.length;
  const rc = wanted.length ? replicatePercentiles(gc, wanted, opts) : [];
  const rb = wanted.length
    ? replicatePercentiles(gb, wanted, { ...opts, seed: paired ? opts.seed : opts.seed + 7919 })
    : [];
  const alpha = 1 - opts.confidence;
  return fractions.map((fraction) => {
    const c = pooledQuantile(gc, fraction);
    const b = pooledQuantile(gb, fraction);
    const ratio = b > 0 ? c / b : Number.NaN;
    const i = wanted.indexOf(fraction);
    if (i < 0 || !(b > 0)) {
      const note = noteOf(fraction) ?? (b > 0 ? undefined : 'baseline percentile is 0: no ratio');
      return { fraction, ratio, low: ratio, high: ratio, method: 'point', mde: null, seLog: 0, ...(note && { note }) };
    }
    const ratios = new Float64Array(rc[i]!.length);
    for (let r = 0; r < ratios.length; r++) ratios[r] = rb[i]![r]! > 0 ? rc[i]![r]! / rb[i]![r]! : ratio;
    ratios.sort();
    // The spread of the replicate ratios themselves: with pairing it holds the shared drift's cancelling.
    const seLog = paired ? sdLog(ratios) : Math.hypot(sdLog(rc[i]!), sdLog(rb[i]!));
    return {
      fraction,
      ratio,
      low: Math.min(ratio, sortedQuantile(ratios, alpha / 2)),
      high: Math.max(ratio, sortedQuantile(ratios, 1 - alpha / 2)),
      method: 'block-bootstrap',
      mde: mdeFromSeLog(seLog, opts.confidence),
      seLog,
    };
  });
}

/** Half the width of a two-sided interval at `confidence` for a log-normal spread `seLog`, as a ratio. */
export function halfWidthRatio(seLog: number, confidence: number): number {
  return Math.exp(zTwoSided(confidence) * seLog) - 1;
}
