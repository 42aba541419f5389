// Whether a tune decided anything (tune, pure): each measured candidate's standing measurement is
// met, missed or unsure with confidence, and the run maps to exit 0 (the recommendation was met with
// confidence), 1 (every measured candidate missed with confidence) or 4 (inconclusive).
//
// Judged as `serve bench` judges its targets, on the statistics core's intervals (intervals.ts):
// - missed: overloaded (two windows under 80% of the rate), or a target whose whole interval lies
//   above it (the interval's low end over the target), or a target without an interval that misses
//   by the stability band (below);
// - met: stable, and every target's interval lies within it (its high end at most the target);
// - unsure: everything else: an interval that straddles its target, an unstable window set, or a
//   measurement in which the load generator fell behind in half its windows or more (window-log.ts).
// Where a percentile has too few samples or seconds for an interval (a p99 needs 2000 samples over
// 8 seconds), and for the error rate, max and the 90%-of-the-rate rule, the point estimate is judged
// by the stability band: windows may vary by STABLE_FRACTION (10%) and still count as stable, so a
// figure within that margin of its target could go either way: met at most 90% of the target (the
// throughput objective's knee, and the rate rule, which is a margin already: at most the target),
// missed at 110% when stable, and at twice the target whatever the windows did.
import { configText } from './space.js';
import { STABLE_FRACTION } from './stability.js';
import type { Candidate, Confidence, Objective, Probe, ProbeCheck, TuneReport } from './types.js';
import { droppedTooMany } from './window-log.js';

export type { Confidence } from './types.js';
export type Decision = 'decided' | 'missed' | 'inconclusive';

/** A figure this many times its target is a miss whatever the windows did. */
export const CLEAR_MISS_RATIO = 2;

/** How sure one measurement is, and the figure that decided it ("p99 41.2 ms [38.0, 45.1] < 100 ms"). */
export interface Judgement {
  confidence: Confidence;
  by: string;
}

/** How sure one measurement is. */
export function confidenceOf(p: Probe, objective: Objective): Confidence {
  return judgeProbe(p, objective).confidence;
}

/** Judges one measurement (see the rules above). */
export function judgeProbe(p: Probe, objective: Objective): Judgement {
  if (p.overloaded)
    return { confidence: 'missed', by: `overloaded: answered ${f(p.achievedPerSec)} of ${f(p.ratePerSec)} req/s` };
  const dropped = p.droppedWindows ?? 0;
  const behind = `the load generator fell behind in ${dropped} of ${p.windows} windows`;
  if (dropped >= p.windows) return { confidence: 'unsure', by: behind };
  if (!p.checks) return judgeScore(p, objective);
  const judged = p.checks.map((c) => ({ c, outcome: checkOutcome(c, p.stable, objective) }));
  const missed = judged.find((j) => j.outcome === 'missed');
  if (missed) return { confidence: 'missed', by: checkText(missed.c, 'missed') };
  if (droppedTooMany(dropped, p.windows)) return { confidence: 'unsure', by: behind };
  if (!p.stable) return { confidence: 'unsure', by: `unstable (${p.windows} windows)` };
  const open = judged.find((j) => j.outcome === 'unsure');
  if (open) return { confidence: 'unsure', by: checkText(open.c, 'unsure') };
  const targets = p.checks.filter((c) => c.metric !== 'rate');
  const binding = (targets.length > 0 ? targets : p.checks).reduce((a, b) => (nearness(b) > nearness(a) ? b : a));
  return { confidence: 'met', by: checkText(binding, 'met') };
}

/** One check's outcome: its interval when it has one, else its point estimate by the band. */
export function checkOutcome(c: ProbeCheck, stable: boolean, objective: Objective): Confidence {
  if (c.low !== undefined && c.high !== undefined)
    return c.high <= c.limit ? 'met' : c.low > c.limit ? 'missed' : 'unsure';
  if (c.ratio >= CLEAR_MISS_RATIO) return 'missed';
  if (stable && c.ratio >= 1 + STABLE_FRACTION) return 'missed';
  const margin = objective === 'throughput' || c.metric === 'rate' ? 1 : 1 - STABLE_FRACTION;
  return c.ratio <= margin ? 'met' : 'unsure';
}

/** How near a check came to its limit (its interval's far end for a percentile). */
function nearness(c: ProbeCheck): number {
  return c.high !== undefined && c.limit > 0 ? c.high / c.limit : c.ratio;
}

const f = (v: number) =>
  !Number.isFinite(v) ? String(v) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);

/** "p99 41.2 ms [38.0, 45.1] < 100 ms", "p99 130 ms (point) > 100 ms", "error rate 0.5% (point) < 1%". */
export function checkText(c: ProbeCheck, outcome: Confidence): string {
  if (c.metric === 'successes') return c.message;
  const [name, unit, scale] =
    c.metric === 'errorRate'
      ? ['error rate', '%', 100]
      : c.metric === 'rate'
        ? ['answered', ' req/s', 1]
        : c.metric === 'minRps'
          ? ['throughput', ' req/s', 1]
          : [c.metric, ' ms', 1];
  const v = (x: number) => `${f(x * scale)}`;
  const floor = c.metric === 'rate' || c.metric === 'minRps';
  const figure =
    c.low !== undefined && c.high !== undefined
      ? `${name} ${v(c.actual)}${unit} [${v(c.low)}, ${v(c.high)}]`
      : `${name} ${v(c.actual)}${unit} (point)`;
  const interval = c.low !== undefined;
  const relation = {
    unsure: interval ? 'straddles' : 'within 10% of',
    met: floor ? '>=' : '<=',
    missed: floor ? '<' : '>',
  }[outcome];
  return `${figure} ${relation} ${v(c.limit)}${unit}`;
}

/** Probes without checks (reports of older versions): the band on the worst ratio alone. */
function judgeScore(p: Probe, objective: Objective): Judgement {
  const by = p.missed[0] ?? `worst figure ${Math.round(p.score * 100)}% of its target`;
  if (p.score >= CLEAR_MISS_RATIO) return { confidence: 'missed', by };
  if (!p.stable) return { confidence: 'unsure', by: `unstable (${p.windows} windows)` };
  if (p.passed && (objective === 'throughput' || p.score <= 1 - STABLE_FRACTION)) return { confidence: 'met', by };
  if (!p.passed && p.score >= 1 + STABLE_FRACTION) return { confidence: 'missed', by };
  return { confidence: 'unsure', by: `${by}: within 10% of its target` };
}

/** The candidates with each measured one's confidence and the figure that decided it. */
export function annotate(candidates: readonly Candidate[], objective: Objective): Candidate[] {
  return candidates.map((c) => {
    if (c.status !== 'measured' || !c.result) return c;
    const j = judgeProbe(c.result, objective);
    return { ...c, confidence: j.confidence, judgedBy: j.by };
  });
}

export interface TuneDecision {
  decision: Decision;
  /** One sentence: why inconclusive, and what would decide it (absent when decided or missed). */
  advice?: string;
}

/** The decision on a finished report (its recommendation, the ranked candidates). */
export function decide(
  report: Pick<TuneReport, 'objective' | 'recommendation' | 'candidates' | 'windowMs' | 'maxWindows'>,
): TuneDecision {
  const measured = report.candidates.filter(
    (c): c is Candidate & { result: Probe } => c.status === 'measured' && !!c.result,
  );
  const judge = (c: Candidate & { result: Probe }) => judgeProbe(c.result, report.objective);
  const best = report.recommendation && measured.find((c) => c.passed);
  if (best && judge(best).confidence === 'met') return { decision: 'decided' };
  const missed = measured.filter((c) => judge(c).confidence === 'missed').length;
  if (!best && missed === measured.length) return { decision: 'missed' };
  const unstable = measured.filter((c) => !c.result.stable && !c.result.overloaded).length;
  const dropped = measured.reduce((a, c) => a + (c.result.droppedWindows ?? 0), 0);
  const times = (n: number) => (n > 1 ? `, measured ${n} times` : '');
  const why = best
    ? `the recommendation, ${configText(best.config)}, is unsure${times(best.result.measurements ?? 1)}: ${judge(best).by}`
    : `${measured.length - missed} of ${measured.length} measured configurations neither met nor missed with confidence`;
  const droppedText =
    dropped > 0 ? `, ${dropped} window${dropped === 1 ? '' : 's'} dropped (the generator fell behind)` : '';
  return {
    decision: 'inconclusive',
    advice:
      `inconclusive: ${why}; ${unstable} of ${measured.length} unstable${droppedText}; longer windows ` +
      `(--window ${Math.max(2, Math.ceil((report.windowMs * 2) / 1000))}s --max-windows ${Math.min(100, report.maxWindows * 2)}) ` +
      `or a quieter host would decide it`,
  };
}
