// The judge's figure calls (control plane, pure): where an interval lies against its limit, an
// unjudged figure, and the error rate's call (judged against an absolute rate, so zero old errors
// hide nothing).
import type { FigureCall } from '../../common/rollout.js';
import { errorRateInterval, wilson, type RateWindow } from '../../stats/index.js';

/** Error rate the new version may have when the profile sets no `slo.error_rate`. */
export const DEFAULT_ERROR_RATE = 0.01;

/** Where [low, high] lies against `allowed`. */
export function outcomeOf(low: number, high: number, allowed: number): 'pass' | 'fail' | 'unsure' {
  if (low > allowed) return 'fail';
  return high <= allowed ? 'pass' : 'unsure';
}

export const total = (r: readonly RateWindow[]) => r.reduce((a, w) => a + w.ok + w.errors, 0);

/**
 * The error rate against the larger of the allowed rate (`slo.error_rate`, 1% if unset) and the old
 * version's own rate over the same windows: an old version that never failed does not make the
 * new one's failures a ratio of zero, they meet the allowed rate like any other.
 */
export function errorCall(
  s: { old: { rates: readonly RateWindow[] }; new: { rates: readonly RateWindow[] } },
  rules: { slo: { errorRate?: number } },
  confidence: number,
  seed: number,
): FigureCall {
  const n = total(s.new.rates);
  const errors = s.new.rates.reduce((a, w) => a + w.errors, 0);
  const oldN = total(s.old.rates);
  const oldRate = oldN > 0 ? s.old.rates.reduce((a, w) => a + w.errors, 0) / oldN : 0;
  const allowed = Math.max(rules.slo.errorRate ?? DEFAULT_ERROR_RATE, oldRate);
  if (n === 0) return unjudged('errors', 'error-rate', 0, allowed, 'no requests');
  const estimate = errors / n;
  if (errors === 0)
    return { figure: 'errors', against: 'error-rate', estimate, low: 0, high: 0, allowed, outcome: 'pass' };
  // The block bootstrap where there are windows enough, never narrower than Wilson's interval.
  const iv = errorRateInterval(s.new.rates, { confidence, seed });
  const [wl, wh] = wilson(errors, n, confidence);
  const low = Math.min(iv.low, wl);
  const high = Math.max(iv.high, wh);
  return {
    figure: 'errors',
    against: 'error-rate',
    estimate,
    low,
    high,
    allowed,
    outcome: outcomeOf(low, high, allowed),
    note: `${errors} of ${n}`,
  };
}

export function unjudged(
  figure: string,
  against: FigureCall['against'],
  estimate: number,
  allowed: number,
  note: string,
): FigureCall {
  const e = Number.isFinite(estimate) ? estimate : 0;
  return { figure, against, estimate: e, low: e, high: e, allowed, outcome: 'unjudged', note };
}
