// The rollout's judge (control plane, pure): decides from one step's windows of the old and the new
// version whether the new one may go on, with intervals from the statistics core. Each figure is
// judged by where its interval lies against its limit: wholly within, pass; wholly beyond, fail;
// straddling it, not yet. The figures: the ratio new/old of p50, p95 and p99 (allowed 1 + max
// regression, or a difference under the floor in ms; only where both versions' replicas carry about the same rate each), the new
// version's percentiles against the profile's targets, and its error rate against the allowed rate. A figure with too few samples for an interval is not judged; a step
// where nothing could be judged is "not yet", never a pass.
import type { FigureCall, FigureOutcome, StepJudgement } from '../../common/rollout.js';
import { ms, signedMs } from './judgement-lines.js';
import { errorCall, outcomeOf, total, unjudged } from './figure-calls.js';

export { DEFAULT_ERROR_RATE, outcomeOf } from './figure-calls.js';
import type { SloTargets } from '../../common/wire.js';
import {
  buildGrid,
  pooledQuantile,
  percentileIntervals,
  ratioIntervals,
  smallSampleWidening,
  tooFew,
  type RateWindow,
  type WindowCounts,
} from '../../stats/index.js';

/**
 * Two-sided level of the intervals at a step's end: 90%, so each bound is a one-sided 95% bound. A
 * figure passes when its upper bound is within the limit (the version is shown no worse than
 * allowed, an equivalence test) and fails when its lower bound is beyond it (shown worse): two
 * one-sided tests at 5% each, the usual form for "at most 20% slower".
 */
export const AT_STEP_END = 0.9;
/**
 * During a step (to roll back early) the judge looks up to eight times, so each look asks for more:
 * 98% two-sided (a one-sided 99% lower bound), and only a fail counts.
 */
export const DURING_STEP = 0.98;
/** Seed of the bootstrap: the same windows give the same judgement. */
const SEED = 2025;

type Slo = 'p50Ms' | 'p90Ms' | 'p95Ms' | 'p99Ms';
/** The percentiles compared with the old version. */
const RATIOS: ReadonlyArray<{ name: string; q: number }> = [
  { name: 'p50', q: 0.5 },
  { name: 'p95', q: 0.95 },
  { name: 'p99', q: 0.99 },
];
/** The percentiles judged against the profile's targets, when it sets them. */
const TARGETS: ReadonlyArray<{ name: string; key: Slo; q: number }> = [
  { name: 'p50', key: 'p50Ms', q: 0.5 },
  { name: 'p90', key: 'p90Ms', q: 0.9 },
  { name: 'p95', key: 'p95Ms', q: 0.95 },
  { name: 'p99', key: 'p99Ms', q: 0.99 },
];

/** One version's windows over a step: latencies and (ok, errors) per window. */
export interface VersionWindows {
  latency: WindowCounts[];
  rates: RateWindow[];
}

export interface StepSamples {
  old: VersionWindows;
  new: VersionWindows;
  /**
   * Both sides cover the same windows (the new version's share and the old one's, side by side):
   * the bootstrap picks the same windows on both, so the host's drift cancels in the ratio. False
   * at the 100% step, where the old version's windows are the previous step's.
   */
  paired: boolean;
  /**
   * Requests a second each replica of a version carried over its windows. On a shared host a
   * replica's latency depends on its own load (a replica idle between requests waits to be
   * scheduled; a busy one stays hot): measured on this 2-core machine with both cores 70% busy, a
   * byte-identical copy carrying a third of the old replicas' rate (a 25% step, 2 + 2 replicas)
   * was 1.16-1.22x slower at p50. So the ratios are judged only where the rates match within
   * LOAD_MATCH; elsewhere only the targets and the error rate are.
   */
  perReplicaRps?: { old: number; new: number };
  /**
   * The load ratio (max/min of the per-replica rates) the step's routing gives (canary-scale.ts),
   * when it is known: the load match is decided on it, since which version the gateway draws for
   * each request makes the measured rates scatter around it (a 1.5x split measures 1.3-1.7x over
   * a few seconds) without any replica carrying a different load than planned.
   */
  plannedLoadRatio?: number;
}

/** Per-replica rates further apart than this factor make the ratio measure load, not the version. */
export const LOAD_MATCH = 1.5;

export interface JudgeRules {
  slo: SloTargets;
  /** Fraction: 0.2 = 20% slower than the old version is still fine. */
  maxRegression: number;
  /** A slower percentile is a regression only when also this many ms slower (default REGRESSION_FLOOR_MS). */
  floorMs?: number;
}

/**
 * A difference below this is never a regression, whatever the ratio. On a shared host a freshly
 * started replica runs a little slower than its long-warmed twin for a while, whatever its
 * version: on the busy 2-core machine a byte-identical copy, warmed by 500 requests, was
 * 1.22-1.48x slower at p50 through its 50% step, at 2-3 ms (bench/results/rollout-verdicts.md).
 * No interval can tell that from a regression of the version; a difference of a few ms can.
 */
export const REGRESSION_FLOOR_MS = 5;

/** Samples a percentile needs before it is judged (the statistics core's rule): p50 40, p95 400, p99 2,000. */
export function samplesNeeded(q: number): number {
  return Math.ceil(20 / (1 - q) - 1e-9);
}

/** Judges the new version over one step (so far) at `confidence`. */
export function judgeStep(s: StepSamples, rules: JudgeRules, confidence = AT_STEP_END): StepJudgement {
  const opts = { confidence, seed: SEED };
  const calls: FigureCall[] = [errorCall(s, rules, confidence, SEED)];
  // The old version's windows can be empty (the 100% step of a one-step rollout): targets only.
  const ratios = ratioIntervals(
    s.new.latency,
    s.old.latency,
    RATIOS.map((r) => r.q),
    { ...opts, paired: s.paired },
  );
  // A few blocks of windows make a plain bootstrap interval too narrow: widen it in log space as
  // the single-run intervals are (Student's t over the blocks; stats/bootstrap.ts).
  const widen = smallSampleWidening(s.new.latency.length, opts);
  const allowedRatio = 1 + rules.maxRegression;
  const oldGrid = buildGrid(s.old.latency);
  const load = s.perReplicaRps;
  const measured = load && load.old > 0 && load.new > 0 ? Math.max(load.old / load.new, load.new / load.old) : 1;
  const mismatch =
    load && (s.plannedLoadRatio ?? measured) > LOAD_MATCH
      ? `load differs: ${load.new.toFixed(0)} vs ${load.old.toFixed(0)} req/s a replica`
      : undefined;
  RATIOS.forEach(({ name, q }, i) => {
    const iv = ratios[i]!;
    const n = total(s.new.rates);
    const o = total(s.old.rates);
    if (o === 0) return;
    if (mismatch !== undefined) return void calls.push(unjudged(name, 'old', iv.ratio, allowedRatio, mismatch));
    if (iv.method !== 'block-bootstrap' || !Number.isFinite(iv.ratio)) {
      const note = iv.note ?? tooFew(q, Math.min(n, o), s.new.latency.length) ?? 'no interval';
      calls.push(unjudged(name, 'old', iv.ratio, allowedRatio, shortNote(note, q)));
      return;
    }
    const low = iv.ratio * Math.min(1, (iv.low / iv.ratio) ** widen);
    const high = iv.ratio * Math.max(1, (iv.high / iv.ratio) ** widen);
    // The floor: a ratio beyond the limit is a regression only when the difference in ms is beyond
    // it too, both read at the same bound of the interval.
    const oldMs = pooledQuantile(oldGrid, q);
    const floorMs = rules.floorMs ?? REGRESSION_FLOOR_MS;
    const byRatio = outcomeOf(low, high, allowedRatio);
    const byMs = outcomeOf(oldMs * (low - 1), oldMs * (high - 1), floorMs);
    const outcome =
      byRatio === 'fail' && byMs === 'fail' ? 'fail' : byRatio === 'pass' || byMs === 'pass' ? 'pass' : 'unsure';
    calls.push({
      figure: name,
      against: 'old',
      estimate: iv.ratio,
      low,
      high,
      allowed: allowedRatio,
      outcome,
      note: `${signedMs(oldMs * (iv.ratio - 1))} on ${ms(oldMs)}, floor ${floorMs} ms`,
    });
  });
  const targets = TARGETS.filter((t) => rules.slo[t.key] !== undefined);
  if (targets.length > 0) {
    const ivs = percentileIntervals(
      s.new.latency,
      targets.map((t) => t.q),
      opts,
    );
    targets.forEach((t, i) => {
      const iv = ivs[i]!;
      const target = rules.slo[t.key]!;
      if (iv.method !== 'block-bootstrap')
        return calls.push(unjudged(t.name, 'target', iv.estimateMs, target, shortNote(iv.note ?? '', t.q)));
      calls.push({
        figure: t.name,
        against: 'target',
        estimate: iv.estimateMs,
        low: iv.lowMs,
        high: iv.highMs,
        allowed: target,
        outcome: outcomeOf(iv.lowMs, iv.highMs, target),
      });
    });
  }
  return {
    outcome: overall(calls, total(s.new.rates)),
    confidence,
    calls,
    seconds: s.new.latency.length,
    samples: { old: total(s.old.rates), new: total(s.new.rates) },
  };
}

/** "too few samples (150 < 400)" from the core's longer note. */
function shortNote(note: string, q: number): string {
  const m = /too few (samples|seconds)[^(]*\(([^)]*)\)/.exec(note);
  return m ? `too few ${m[1]} (${m[2]}) for p${Math.round(q * 100)}` : note || 'no interval';
}

/**
 * fail if any figure failed; not yet if any straddles, or if the new version had too few samples
 * for even a p50 (a step the response cache answered must not pass on five requests); else pass.
 * A step whose ratios are not judged only because the load differs (the 100% step, a small share)
 * passes on what could be judged: running on would not change the load.
 */
function overall(calls: readonly FigureCall[], newSamples: number): StepJudgement['outcome'] {
  const outcomes = new Set<FigureOutcome>(calls.map((c) => c.outcome));
  if (outcomes.has('fail')) return 'fail';
  if (outcomes.has('unsure')) return 'unsure';
  const latencyJudged = calls.some((c) => c.figure !== 'errors' && c.outcome === 'pass');
  return latencyJudged || newSamples >= samplesNeeded(0.5) ? 'pass' : 'unsure';
}
