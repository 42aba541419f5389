// The rollout's judge (control plane, pure): decides from one step's figures of the old and the new
// version whether the new one may go on. It misses when it breaks a profile target, or when it is
// slower than the old one by more than the allowed regression and by more than a floor in ms. During
// a step the same rules, with more evidence asked for, may end the step early.
import type { SloTargets } from '../../common/wire.js';
import type { VersionFigures } from '../../common/rollout.js';

/** A difference below this is never a regression, whatever the ratio (timer and scheduling noise). */
export const REGRESSION_FLOOR_MS = 5;
/** Error rate the new version may have when the profile sets no `slo.error_rate`. */
export const DEFAULT_ERROR_RATE = 0.01;

type Percentile = 'p50Ms' | 'p90Ms' | 'p95Ms' | 'p99Ms';
const PERCENTILES: ReadonlyArray<{ key: Percentile; q: number }> = [
  { key: 'p50Ms', q: 0.5 },
  { key: 'p90Ms', q: 0.9 },
  { key: 'p95Ms', q: 0.95 },
  { key: 'p99Ms', q: 0.99 },
];

/**
 * Samples a version needs before percentile q of it is judged: enough that at least 10 lie above
 * it (p50: 20, p90: 100, p95: 200, p99: 1000), so one slow request (a GC pause, a cold cache)
 * never decides a step. With fewer, only the error rate and the lower percentiles are judged.
 */
export function minSamples(q: number): number {
  return Math.ceil(10 / (1 - q) - 1e-9);
}

export interface JudgeRules {
  slo: SloTargets;
  /** Fraction: 0.2 = 20% slower than the old version is still fine. */
  maxRegression: number;
}

/** How much evidence a miss needs: a judgement at a step's end asks for the least. */
export interface Evidence {
  /** Failures of the new version before its error rate can miss (at the end: 1). */
  minErrors: number;
  /** Times minSamples(q) before percentile q is judged (at the end: 1). */
  sampleFactor: number;
}

/** At a step's end: every figure with enough samples for it counts. */
export const AT_STEP_END: Evidence = { minErrors: 1, sampleFactor: 1 };
/**
 * During a step (to roll back early): ten failures, not one, and twice the samples per percentile,
 * so a version is cut short only by what the rest of the step could not undo.
 */
export const DURING_STEP: Evidence = { minErrors: 10, sampleFactor: 2 };

export interface Verdict {
  ok: boolean;
  /** Why not, one line each (empty when ok). */
  misses: string[];
}

/** Judges the new version over one step (so far) against the targets and against the old version. */
export function judgeStep(
  old: VersionFigures,
  neu: VersionFigures,
  rules: JudgeRules,
  evidence: Evidence = AT_STEP_END,
): Verdict {
  const misses: string[] = [];
  const errorRate = rules.slo.errorRate ?? DEFAULT_ERROR_RATE;
  if (neu.count > 0 && neu.errors >= evidence.minErrors && neu.errors / neu.count > errorRate) {
    misses.push(
      `error rate ${pct(neu.errors / neu.count)} (${neu.errors} of ${neu.count}) is ` +
        `above the target ${pct(errorRate)}`,
    );
  }
  for (const { key, q } of PERCENTILES) {
    const need = minSamples(q) * evidence.sampleFactor;
    const target = rules.slo[key];
    const n = neu[key];
    if (n === undefined || neu.count < need) continue;
    const name = key.slice(0, -2);
    if (target !== undefined && n > target) misses.push(`${name} ${ms(n)} is above the target ${ms(target)}`);
    const o = old[key];
    if (o === undefined || old.count < need) continue;
    if (n > o * (1 + rules.maxRegression) && n - o > REGRESSION_FLOOR_MS) {
      misses.push(
        `${name} ${ms(n)} is ${pct(n / o - 1)} above the old version's ${ms(o)} ` +
          `(allowed ${pct(rules.maxRegression)}, and ${REGRESSION_FLOOR_MS} ms)`,
      );
    }
  }
  return { ok: misses.length === 0, misses };
}

function ms(v: number): string {
  return `${v.toFixed(1)} ms`;
}

function pct(f: number): string {
  return `${(f * 100).toFixed(f < 0.1 ? 1 : 0)}%`;
}
