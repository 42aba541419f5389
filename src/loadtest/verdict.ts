// Verdicts with confidence (loadtest, pure): each gate check of a run gets an interval from the
// run's per-second windows and an outcome, met / missed / inconclusive, and the run a verdict.
// A check is missed only when its whole interval lies beyond the target; with too few samples it
// is judged on its point estimate, as before, and says so. Confidence 0 = point estimates only.
import {
  errorRateInterval,
  percentileIntervals,
  ratioIntervals,
  secondsToDecide,
  throughputInterval,
  type WindowCounts,
} from '../stats/index.js';
import { formatMs } from '../common/units.js';
import type { GateCheck, GateMetric, GateReport, RunResult } from './types.js';

export type CheckOutcome = 'met' | 'missed' | 'inconclusive';
export type RunVerdict = 'pass' | 'fail' | 'inconclusive' | 'unreliable';

/** A gate check with its interval and outcome (the --json form of each check). */
export interface JudgedCheck extends GateCheck {
  ciLow: number;
  ciHigh: number;
  outcome: CheckOutcome;
  /** 'point' when judged on the point estimate alone (see `note`). */
  method: 'block-bootstrap' | 'point';
  note?: string;
  /** Inconclusive only: about how many measured seconds would likely decide it. */
  decideSeconds?: number;
}

export interface JudgedReport extends GateReport {
  checks: JudgedCheck[];
  /** Two-sided level of every interval (0.95); 0 = point estimates. */
  confidence: number;
  verdict: RunVerdict;
}

export interface VerdictOptions {
  /** Fraction, e.g. 0.95; 0 gives the old point-estimate gates. */
  confidence: number;
  /** Seed of the bootstrap: the same run gives the same verdict. */
  seed: number;
  /** Per-second latency windows of the measured phase; undefined (a ramp) = point estimates. */
  windows?: readonly WindowCounts[];
  /**
   * The --baseline file's per-second windows: its latency checks are then judged on the ratio's
   * interval (both runs resampled). Absent (an older file): point estimates, with a note.
   */
  baselineWindows?: readonly WindowCounts[];
  /** Said of every baseline check judged with an interval (the baseline ran at another time). */
  baselineNote?: string;
}

const fractionOf: Partial<Record<GateMetric, number>> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99, p999: 0.999 };

/** Outcome of a check whose target is a ceiling (latency, error rate) or a floor (throughput). */
export function outcomeOf(low: number, high: number, limit: number, floor: boolean): CheckOutcome {
  if (floor) return low >= limit ? 'met' : high < limit ? 'missed' : 'inconclusive';
  return high <= limit ? 'met' : low > limit ? 'missed' : 'inconclusive';
}

/** The check as today: its point estimate decides. */
function pointCheck(c: GateCheck, note?: string): JudgedCheck {
  const message = note ? `${c.message} (${note})` : c.message;
  return {
    ...c,
    message,
    ciLow: c.actual,
    ciHigh: c.actual,
    outcome: c.passed ? 'met' : 'missed',
    method: 'point',
    ...(note && { note }),
  };
}

/** A value of `c`'s kind for people: ms, a percentage, or req/s. */
function format(c: GateCheck, v: number): string {
  if (c.metric === 'errorRate') return `${+(v * 100).toFixed(3)}%`;
  if (c.metric === 'minRps' || c.metric === 'throughput') return `${v.toFixed(1)} req/s`;
  return formatMs(v);
}

function withInterval(c: GateCheck, low: number, high: number, floor: boolean, measuredSeconds: number): JudgedCheck {
  const ciLow = Math.min(low, c.actual);
  const ciHigh = Math.max(high, c.actual);
  const outcome = outcomeOf(ciLow, ciHigh, c.limit, floor);
  const judged: JudgedCheck = { ...c, ciLow, ciHigh, outcome, method: 'block-bootstrap', passed: outcome === 'met' };
  if (outcome === 'inconclusive') {
    const s = secondsToDecide(c.actual, ciLow, ciHigh, c.limit, measuredSeconds);
    if (Number.isFinite(s)) judged.decideSeconds = Math.ceil(s);
    judged.message =
      `${c.message}, but its interval ${format(c, ciLow)}-${format(c, ciHigh)} ` +
      `straddles the target` +
      (judged.decideSeconds === undefined ? '' : `: a run of about ${judged.decideSeconds}s would likely decide it`);
  }
  return judged;
}

/** Judges every check of `gates` (from evaluateGates) with intervals; the run's verdict from the outcomes. */
export function judgeGates(result: RunResult, gates: GateReport, opts: VerdictOptions): JudgedReport {
  const windows = opts.windows;
  const latencyFractions = gates.checks
    .filter((c) => c.kind === 'target' && fractionOf[c.metric] !== undefined)
    .map((c) => fractionOf[c.metric]!);
  const latency =
    opts.confidence > 0 && windows && result.latency.count > 0 && latencyFractions.length > 0
      ? percentileIntervals(windows, latencyFractions, { confidence: opts.confidence, seed: opts.seed })
      : [];
  const baselineFractions = gates.checks
    .filter((c) => c.kind === 'baseline' && fractionOf[c.metric] !== undefined)
    .map((c) => fractionOf[c.metric]!);
  const ratios =
    opts.confidence > 0 && windows && opts.baselineWindows && baselineFractions.length > 0
      ? ratioIntervals(windows, opts.baselineWindows, baselineFractions, {
          confidence: opts.confidence,
          seed: opts.seed,
        })
      : [];
  const rows = result.series.map((r) => ({ ok: r.ok, errors: r.errors }));
  const seconds = Math.max(1, result.durationMs / 1000);
  const interval = { confidence: opts.confidence, seed: opts.seed };
  const checks = gates.checks.map((c): JudgedCheck => {
    if (opts.confidence <= 0) return pointCheck(c);
    if (c.kind === 'baseline') {
      const iv = ratios.find((x) => x.fraction === fractionOf[c.metric]);
      if (!iv) return pointCheck(c, 'compared with the baseline on point estimates');
      if (iv.method === 'point') return pointCheck(c, iv.note);
      // The ratio's interval times the baseline's figure: the candidate's figure as the baseline's data allow.
      const judged = withInterval(c, iv.low * c.baseline!, iv.high * c.baseline!, false, seconds);
      return opts.baselineNote ? { ...judged, note: opts.baselineNote } : judged;
    }
    const fraction = fractionOf[c.metric];
    if (fraction !== undefined) {
      if (result.latency.count === 0) return pointCheck(c);
      if (!windows) return pointCheck(c, 'no per-second windows (a ramp): point estimate');
      const iv = latency.find((x) => x.fraction === fraction)!;
      if (iv.method === 'point') return pointCheck(c, iv.note);
      return withInterval(c, iv.lowMs, iv.highMs, false, seconds);
    }
    if (c.metric === 'errorRate') {
      // A failure seen is certain: no interval makes a 0% target met once one request failed.
      if (c.limit === 0) return pointCheck(c);
      const iv = errorRateInterval(rows, interval);
      return iv.method === 'point' ? pointCheck(c, iv.note) : withInterval(c, iv.low, iv.high, false, seconds);
    }
    if (c.metric === 'minRps') {
      const iv = throughputInterval(rows, interval);
      return iv.method === 'point' ? pointCheck(c, iv.note) : withInterval(c, iv.low, iv.high, true, seconds);
    }
    return pointCheck(c, c.metric === 'max' ? 'the maximum has no interval: point estimate' : undefined);
  });
  return {
    passed: checks.every((c) => c.outcome === 'met'),
    checks,
    confidence: opts.confidence,
    verdict: verdictOf(checks),
  };
}

/** fail when any check was missed, inconclusive when any could not be decided, else pass. */
export function verdictOf(checks: readonly JudgedCheck[]): RunVerdict {
  if (checks.some((c) => c.outcome === 'missed')) return 'fail';
  if (checks.some((c) => c.outcome === 'inconclusive')) return 'inconclusive';
  return 'pass';
}
