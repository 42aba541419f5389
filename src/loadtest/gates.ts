// Gate evaluation (loadtest, pure): a RunResult against absolute targets and, optionally, against
// a baseline run. Latency targets apply to intended-time latency, what a user would have felt.
import { formatMs } from '../common/units.js';
import type { GateCheck, GateMetric, GateReport, LatencySummary, RunResult, SloTargets } from './types.js';

const latencyTargets: Array<[GateMetric, keyof SloTargets, keyof LatencySummary]> = [
  ['p50', 'p50Ms', 'p50Ms'],
  ['p90', 'p90Ms', 'p90Ms'],
  ['p95', 'p95Ms', 'p95Ms'],
  ['p99', 'p99Ms', 'p99Ms'],
  ['p999', 'p999Ms', 'p999Ms'],
  ['max', 'maxMs', 'maxMs'],
];

/** Percentiles compared with a baseline (max is left out: one outlier is not a regression). */
const baselineMetrics: Array<[GateMetric, keyof LatencySummary]> = [
  ['p50', 'p50Ms'],
  ['p90', 'p90Ms'],
  ['p95', 'p95Ms'],
  ['p99', 'p99Ms'],
  ['p999', 'p999Ms'],
];

/** Percentile (as a fraction) of each baseline metric. */
const fractionOf: Partial<Record<GateMetric, number>> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99, p999: 0.999 };

/**
 * A percentile is compared with a baseline only when both runs hold at least this many times
 * 1/(1-p) samples: with fewer, p99.9 of a short run is just its maximum, and one stall decides it.
 */
export const BASELINE_MIN_TAIL_SAMPLES = 5;

/**
 * A latency must grow by more than this many milliseconds, as well as by the fraction, to count
 * as a regression: sub-millisecond jitter on a fast service is noise, not a slowdown.
 */
export const REGRESSION_FLOOR_MS = 1;

/** Why a latency target fails when no request succeeded. */
export const NO_SUCCESS_NOTE = 'no successful request to measure';

const pct = (f: number) => `${+(f * 100).toFixed(3)}%`;
const rps = (r: number) => `${r.toFixed(1)} req/s`;

/**
 * Latency, error-rate and rate checks of `result` against `targets` (absent targets are skipped).
 * A latency target with no successful request behind it fails (see NO_SUCCESS_NOTE).
 */
export function targetChecks(
  result: Pick<RunResult, 'latency' | 'errorRate' | 'rate'>,
  targets: SloTargets,
): GateCheck[] {
  const checks: GateCheck[] = [];
  for (const [metric, targetKey, summaryKey] of latencyTargets) {
    const limit = targets[targetKey];
    if (limit === undefined) continue;
    const actual = result.latency[summaryKey];
    if (result.latency.count === 0) {
      // Percentiles of an empty histogram read 0, which would meet any target: fail instead.
      checks.push({
        kind: 'target',
        metric,
        actual,
        limit,
        passed: false,
        message: `${metric}: ${NO_SUCCESS_NOTE} (target <= ${formatMs(limit)})`,
      });
      continue;
    }
    const passed = actual <= limit;
    checks.push({
      kind: 'target',
      metric,
      actual,
      limit,
      passed,
      message: `${metric} ${formatMs(actual)} ${passed ? '<=' : '>'} ${formatMs(limit)}`,
    });
  }
  if (targets.errorRate !== undefined) {
    const actual = result.errorRate;
    const passed = actual <= targets.errorRate;
    checks.push({
      kind: 'target',
      metric: 'errorRate',
      actual,
      limit: targets.errorRate,
      passed,
      message: `error rate ${pct(actual)} ${passed ? '<=' : '>'} ${pct(targets.errorRate)}`,
    });
  }
  if (targets.minRps !== undefined) {
    const actual = result.rate.achievedPerSec;
    const passed = actual >= targets.minRps;
    checks.push({
      kind: 'target',
      metric: 'minRps',
      actual,
      limit: targets.minRps,
      passed,
      message: `throughput ${rps(actual)} ${passed ? '>=' : '<'} ${rps(targets.minRps)}`,
    });
  }
  return checks;
}

/** Checks that no percentile grew, and throughput did not shrink, by more than `maxRegression`. */
export function baselineChecks(result: RunResult, baseline: RunResult, maxRegression: number): GateCheck[] {
  const checks: GateCheck[] = [];
  for (const [metric, key] of baselineMetrics) {
    const base = baseline.latency[key];
    const actual = result.latency[key];
    const needed = BASELINE_MIN_TAIL_SAMPLES / (1 - fractionOf[metric]!);
    if (!(base > 0) || result.latency.count < needed || baseline.latency.count < needed) continue;
    const limit = Math.max(base * (1 + maxRegression), base + REGRESSION_FLOOR_MS);
    const passed = actual <= limit;
    const change = (actual - base) / base;
    checks.push({
      kind: 'baseline',
      metric,
      actual,
      limit,
      baseline: base,
      passed,
      message:
        `${metric} ${formatMs(actual)} vs baseline ${formatMs(base)} (` +
        `${change >= 0 ? '+' : ''}${pct(change)}, allowed +${pct(maxRegression)})`,
    });
  }
  const base = baseline.rate.achievedPerSec;
  if (base > 0) {
    const actual = result.rate.achievedPerSec;
    const limit = base * (1 - maxRegression);
    const passed = actual >= limit;
    const change = (actual - base) / base;
    checks.push({
      kind: 'baseline',
      metric: 'throughput',
      actual,
      limit,
      baseline: base,
      passed,
      message:
        `throughput ${rps(actual)} vs baseline ${rps(base)} (${change >= 0 ? '+' : ''}` +
        `${pct(change)}, allowed -${pct(maxRegression)})`,
    });
  }
  return checks;
}

/**
 * The verdict: every target in `targets`, plus a baseline comparison when `baseline` is given.
 * `maxRegression` is a fraction (0.1 = 10%, the default). A run in which no request succeeded
 * fails even without targets (check `successes`): 100% errors must never pass a CI gate.
 */
export function evaluateGates(
  result: RunResult,
  targets: SloTargets,
  baseline?: RunResult,
  maxRegression = 0.1,
): GateReport {
  const checks = targetChecks(result, targets);
  if (baseline) checks.push(...baselineChecks(result, baseline, maxRegression));
  if (result.requests.ok === 0) {
    const rq = result.requests;
    checks.push({
      kind: 'target',
      metric: 'successes',
      actual: 0,
      limit: 1,
      passed: false,
      message: `no successful request (${rq.sent} sent, ${rq.errors} failed)`,
    });
  }
  return { passed: checks.every((c) => c.passed), checks };
}

/**
 * How a run ended, for the exit code: interrupted by the user, `unreachable` when every request
 * failed to connect (the target went away after discovery: not a slow server, and no verdict),
 * else whether every gate passed.
 */
export type RunOutcome = 'passed' | 'failed' | 'unreachable' | 'interrupted';

export function runOutcome(result: RunResult, gates: GateReport): RunOutcome {
  if (result.interrupted) return 'interrupted';
  const connectionErrors = result.errorsByClass.connection ?? 0;
  if (result.requests.ok === 0 && connectionErrors > 0 && connectionErrors === result.requests.errors)
    return 'unreachable';
  return gates.passed ? 'passed' : 'failed';
}
