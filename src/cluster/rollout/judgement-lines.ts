// A judgement as words (control plane, pure): one phrase per figure with its interval and limit,
// the way decision lines, `serve rollout` and `serve rollout status` show them.
import type { FigureCall, FigureOutcome, StepJudgement } from '../../common/rollout.js';

/** Samples a p50 needs (judge.ts samplesNeeded(0.5)). */
const P50_SAMPLES = 40;

/** "p50 1.15x [1.08, 1.23], allowed 1.20" / "p99 41.2 ms [38.0, 45.1], target 100 ms" / "errors 0.4% [0.1%, 1.2%], allowed 1%". */
export function callLine(c: FigureCall): string {
  const verdict =
    c.outcome === 'pass' ? '' : c.outcome === 'fail' ? ': FAIL' : c.outcome === 'unsure' ? ': not yet' : '';
  if (c.outcome === 'unjudged')
    return `${c.figure}${c.against === 'target' ? ` (target ${ms(c.allowed)})` : ''} not judged (${c.note ?? 'no interval'})`;
  if (c.against === 'old')
    return (
      `${c.figure} ${x(c.estimate)} [${c.low.toFixed(2)}, ${c.high.toFixed(2)}]` +
      `${c.note ? ` (${c.note})` : ''}, allowed ${c.allowed.toFixed(2)}${verdict}`
    );
  if (c.against === 'target')
    return `${c.figure} ${ms(c.estimate)} [${ms(c.low)}, ${ms(c.high)}], target ${ms(c.allowed)}${verdict}`;
  return (
    `errors ${pct(c.estimate)} [${pct(c.low)}, ${pct(c.high)}]${c.note ? ` (${c.note})` : ''}, ` +
    `allowed ${pct(c.allowed)}${verdict}`
  );
}

/** The judged figures of a judgement, one phrase each, failures and not-yets first (a repeated phrase once). */
export function judgementLine(j: StepJudgement): string {
  const rank: Record<FigureOutcome, number> = { fail: 0, unsure: 1, pass: 2, unjudged: 3 };
  const calls = [...j.calls].sort((a, b) => rank[a.outcome] - rank[b.outcome]);
  return [...new Set(calls.map(callLine))].join('; ');
}

function x(v: number): string {
  return `${v.toFixed(2)}x`;
}

export function ms(v: number): string {
  return `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;
}

export function signedMs(v: number): string {
  return `${v >= 0 ? '+' : '-'}${ms(Math.abs(v))}`;
}

function pct(f: number): string {
  return `${(f * 100).toFixed(f < 0.1 ? 1 : 0)}%`;
}

/** When a step lacks the samples even a p50 needs, says so (and why that can be). */
export function tooFewLine(j: StepJudgement, version: number): string {
  if (j.samples.new >= P50_SAMPLES) return '';
  return (
    `; version ${version} answered ${j.samples.new} requests in ${j.seconds} windows, fewer than the ` +
    `${P50_SAMPLES} a p50 needs (more traffic or a longer step; answers from the response cache ` +
    `are not samples)`
  );
}

/** The decision on step `step`'s judgement at its end: its kind, line (`versions`: both figures) and why. */
export function stepEndDecision(
  step: number,
  j: StepJudgement,
  version: number,
  versions: string,
): { kind: 'passed' | 'rollback' | 'not-yet'; message: string; why: string } {
  const kind = j.outcome === 'pass' ? 'passed' : j.outcome === 'fail' ? 'rollback' : 'not-yet';
  const said = j.outcome === 'pass' ? 'passed' : j.outcome === 'fail' ? 'missed' : 'not yet decided (running on)';
  const judged = judgementLine(j);
  return {
    kind,
    message: `step ${step} ${said}: ${judged}${tooFewLine(j, version)} (${versions})`,
    why: `step ${step}: ${judged}`,
  };
}
