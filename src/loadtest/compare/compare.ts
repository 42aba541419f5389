// Comparing a candidate run with a baseline run (loadtest, pure): for p50, p95 and p99 the ratio
// candidate/baseline with its interval from both runs' per-second windows, and a verdict:
// regression when the interval lies wholly above 1 + maxRegression, no-regression when wholly
// below, else inconclusive; with the minimum detectable effect of this pair of runs.
import { ratioIntervals, type RatioInterval, type WindowCounts } from '../../stats/index.js';
import type { LatencySummary } from '../types.js';
import type { RunVerdict } from '../verdict.js';

export type ComparisonVerdict = 'regression' | 'no-regression' | 'inconclusive';
export type ComparedMetric = 'p50' | 'p95' | 'p99';

/** One percentile compared (the --json form). */
export interface PercentileComparison {
  candidateMs: number;
  baselineMs: number;
  /** candidate / baseline of the pooled percentiles. */
  ratio: number;
  ciLow: number;
  ciHigh: number;
  /** Relative change this pair of runs detects with 80% power (0.12 = 12%); null on a point estimate. */
  mde: number | null;
  verdict: ComparisonVerdict;
  method: 'block-bootstrap' | 'point';
  note?: string;
}

export interface Comparison {
  verdict: ComparisonVerdict;
  /** Allowed growth as a fraction (0.1 = 10%). */
  maxRegression: number;
  confidence: number;
  /** Where the baseline came from: measured beside the candidate (--against) or read from a file (--baseline). */
  baseline: { source: 'against' | 'file'; url: string; startedAt: string; file?: string };
  percentiles: Record<ComparedMetric, PercentileComparison>;
  /** What the reader should know: a baseline run at another time, point estimates. */
  notes: string[];
}

export const COMPARED: ReadonlyArray<[ComparedMetric, number, keyof LatencySummary]> = [
  ['p50', 0.5, 'p50Ms'],
  ['p95', 0.95, 'p95Ms'],
  ['p99', 0.99, 'p99Ms'],
];

/** The verdict of a ratio interval [low, high] against 1 + maxRegression (a point: low = high = ratio). */
export function ratioVerdict(low: number, high: number, maxRegression: number): ComparisonVerdict {
  const limit = 1 + maxRegression;
  if (low > limit) return 'regression';
  return high <= limit ? 'no-regression' : 'inconclusive';
}

/** regression if any percentile regressed, else inconclusive if any is undecided, else no-regression. */
export function overallVerdict(verdicts: readonly ComparisonVerdict[]): ComparisonVerdict {
  if (verdicts.includes('regression')) return 'regression';
  return verdicts.includes('inconclusive') ? 'inconclusive' : 'no-regression';
}

/** How a comparison's verdict counts in the run's verdict: regression fails, inconclusive is undecided. */
export function comparisonRunVerdict(v: ComparisonVerdict): RunVerdict {
  return v === 'regression' ? 'fail' : v === 'inconclusive' ? 'inconclusive' : 'pass';
}

function fromInterval(iv: RatioInterval, c: number, b: number, maxRegression: number): PercentileComparison {
  return {
    candidateMs: c,
    baselineMs: b,
    ratio: iv.ratio,
    ciLow: iv.low,
    ciHigh: iv.high,
    mde: iv.mde,
    verdict: Number.isFinite(iv.ratio) ? ratioVerdict(iv.low, iv.high, maxRegression) : 'inconclusive',
    method: iv.method,
    ...(iv.note !== undefined && { note: iv.note }),
  };
}

/**
 * Compares from both runs' windows. `opts.confidence` 0 compares point estimates. Percentiles come
 * from the pooled windows, so the figures are those the windows hold.
 */
export function compareRuns(
  candidate: { latency: LatencySummary; windows?: readonly WindowCounts[] },
  baseline: { latency: LatencySummary; windows?: readonly WindowCounts[] },
  opts: { confidence: number; seed: number; maxRegression: number },
  source: Comparison['baseline'],
): Comparison {
  const notes: string[] = [];
  const withWindows = candidate.windows !== undefined && baseline.windows !== undefined;
  const ivs = withWindows
    ? ratioIntervals(
        candidate.windows!,
        baseline.windows!,
        COMPARED.map(([, f]) => f),
        // Interleaved sides are paired window by window; a file's run is unrelated to this one.
        { confidence: opts.confidence, seed: opts.seed, paired: source.source === 'against' },
      )
    : undefined;
  if (!withWindows) notes.push('the baseline file holds no per-second windows: compared on point estimates');
  if (source.source === 'file')
    notes.push(
      `the baseline ran at another time (${source.startedAt}): drift of the host between the two runs is ` +
        'not in the interval; --against measures both sides interleaved',
    );
  const percentiles = {} as Record<ComparedMetric, PercentileComparison>;
  COMPARED.forEach(([metric, , key], i) => {
    const c = candidate.latency[key] as number;
    const b = baseline.latency[key] as number;
    const point: RatioInterval = {
      fraction: 0,
      ratio: b > 0 ? c / b : Number.NaN,
      low: b > 0 ? c / b : Number.NaN,
      high: b > 0 ? c / b : Number.NaN,
      method: 'point',
      mde: null,
      seLog: 0,
      ...(withWindows ? {} : { note: 'no per-second windows in the baseline: point estimate' }),
    };
    percentiles[metric] = fromInterval(ivs?.[i] ?? point, c, b, opts.maxRegression);
  });
  return {
    verdict: overallVerdict(Object.values(percentiles).map((p) => p.verdict)),
    maxRegression: opts.maxRegression,
    confidence: opts.confidence,
    baseline: source,
    percentiles,
    notes,
  };
}
