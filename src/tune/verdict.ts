// The verdict on one measurement (tune, pure): `serve bench`'s target checks on what the last windows
// measured together, plus the ramp's rule that at least 90% of the requested rate was answered, and
// a score (the worst ratio of a value to its target) that ranks near misses.
import {
  RAMP_MIN_ACHIEVED_SHARE,
  targetChecks,
  type GateCheck,
  type LatencySummary,
  type SloTargets,
} from '../loadtest/index.js';
import type { ProbeCheck } from './types.js';

/** What the windows of one measurement add up to. */
export interface Measured {
  ratePerSec: number;
  achievedPerSec: number;
  latency: LatencySummary;
  errorRate: number;
}

export interface Verdict {
  passed: boolean;
  missed: string[];
  score: number;
  /** Every check on its point estimate (intervals.ts adds the percentiles' intervals). */
  checks: ProbeCheck[];
}

/** The targets a measurement is judged by: throughput targets are left to the rate rule (and to the objective). */
export function latencyTargets(targets: SloTargets): SloTargets {
  const { targetRps: _target, minRps: _min, ...rest } = targets;
  return rest;
}

/** Judges `m` against `targets` (latency percentiles, error rate, minimum rate) and the achieved-rate rule. */
export function judge(m: Measured, targets: SloTargets): Verdict {
  const checks = targetChecks(
    {
      latency: m.latency,
      errorRate: m.errorRate,
      rate: { requestedPerSec: m.ratePerSec, sentPerSec: 0, achievedPerSec: m.achievedPerSec },
    },
    targets,
  );
  const missed = checks.filter((c) => !c.passed).map((c) => c.message);
  const needed = RAMP_MIN_ACHIEVED_SHARE * m.ratePerSec;
  const rateMessage =
    `answered ${m.achievedPerSec.toFixed(1)} of ${m.ratePerSec.toFixed(1)} req/s ` +
    `(under ${Math.round(RAMP_MIN_ACHIEVED_SHARE * 100)}%)`;
  if (m.achievedPerSec < needed) missed.push(rateMessage);
  if (m.latency.count === 0 && missed.length === 0) missed.push('no successful request');
  const all: ProbeCheck[] = [
    ...checks.map((c) => ({ metric: c.metric, actual: c.actual, limit: c.limit, ratio: ratio(c), message: c.message })),
    {
      metric: 'rate',
      actual: m.achievedPerSec,
      limit: needed,
      ratio: m.achievedPerSec > 0 ? needed / m.achievedPerSec : Infinity,
      message:
        m.achievedPerSec < needed
          ? rateMessage
          : `answered ${m.achievedPerSec.toFixed(1)} of ${m.ratePerSec.toFixed(1)} req/s ` +
            `(at least ${Math.round(RAMP_MIN_ACHIEVED_SHARE * 100)}% needed)`,
    },
  ];
  return { passed: missed.length === 0, missed, score: Math.max(0, ...all.map((c) => c.ratio)), checks: all };
}

/** How far a check is from its limit: above 1 when it failed. */
function ratio(c: GateCheck): number {
  if (c.metric === 'minRps') return c.actual > 0 ? c.limit / c.actual : Infinity;
  if (c.metric === 'successes') return Infinity;
  if (c.limit > 0) return c.passed || c.actual > 0 ? c.actual / c.limit : Infinity;
  return c.passed ? 0 : Infinity;
}
