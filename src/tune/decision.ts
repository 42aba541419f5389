// Whether a tune decided anything (tune, pure): each measured candidate's result is met, missed or
// unsure with confidence, and the run maps to exit 0 (the recommendation was met with confidence),
// 1 (every measured candidate missed with confidence) or 4 (inconclusive: nothing decided).
//
// The rule, kept simple: a measurement's windows may vary by STABLE_FRACTION (10%) and still count
// as stable, so a figure within that margin of its target could go either way on the next run.
// - met: stable, every target passed, and (cost objective) the worst figure at most 90% of its
//   target. The throughput objective's knee is by construction at its limit; there a stable,
//   passing knee is met (the bisection's own tolerance is the margin).
// - missed: overloaded (two windows under 80% of the rate), or stable with a figure at least 110% of
//   its target, or any figure at least twice its target (no noise explains that).
// - unsure: everything else, in particular every unstable window set.
import { STABLE_FRACTION } from './stability.js';
import type { Candidate, Objective, Probe, TuneReport } from './types.js';

export type Confidence = 'met' | 'missed' | 'unsure';
export type Decision = 'decided' | 'missed' | 'inconclusive';

/** A figure this many times its target is a miss whatever the windows did. */
export const CLEAR_MISS_RATIO = 2;

/** How sure one measurement is. */
export function confidenceOf(p: Probe, objective: Objective): Confidence {
  if (p.overloaded || p.score >= CLEAR_MISS_RATIO) return 'missed';
  if (!p.stable) return 'unsure';
  if (p.passed && (objective === 'throughput' || p.score <= 1 - STABLE_FRACTION)) return 'met';
  if (!p.passed && p.score >= 1 + STABLE_FRACTION) return 'missed';
  return 'unsure';
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
  const conf = (c: Candidate & { result: Probe }) => confidenceOf(c.result, report.objective);
  const best = report.recommendation && measured.find((c) => c.passed);
  if (best && conf(best) === 'met') return { decision: 'decided' };
  if (!best && measured.length > 0 && measured.every((c) => conf(c) === 'missed')) return { decision: 'missed' };
  if (!best && measured.length === 0) return { decision: 'missed' };
  const unstable = measured.filter((c) => !c.result.stable && !c.result.overloaded).length;
  const why = best
    ? `the recommendation's measurement was ${best.result.stable ? 'within 10% of a target' : 'unstable'}`
    : `${measured.length - measured.filter((c) => conf(c) === 'missed').length} of ${measured.length} ` +
      `measured configurations neither met nor missed with confidence`;
  return {
    decision: 'inconclusive',
    advice:
      `inconclusive: ${why} (${unstable} of ${measured.length} unstable); longer windows ` +
      `(--window ${Math.max(2, Math.ceil((report.windowMs * 2) / 1000))}s --max-windows ${Math.min(100, report.maxWindows * 2)}) ` +
      `or a quieter host would decide it`,
  };
}
