// Verdicts with confidence (loadtest, pure): met / missed / inconclusive from the intervals over a
// run's seconds, the point-estimate fallback, the 0% error target, and the run's verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateGates } from '../../src/loadtest/gates.js';
import { judgeGates, verdictOf, type JudgedCheck } from '../../src/loadtest/verdict.js';
import { tableModel } from '../../src/loadtest/report.js';
import { buildGrid, pooledQuantile, type WindowCounts } from '../../src/stats/index.js';
import type { LatencySummary, RunResult, SloTargets } from '../../src/loadtest/types.js';
import { synthesize } from '../stats/synthetic.js';
import { parseConfidence, parseVerdictFlags, verdictExitCode } from '../../src/cli/bench/verdict.js';

/** A result whose percentiles are those of `windows`, `errorsPerSecond` failures in each second. */
function resultOf(windows: WindowCounts[], errorsPerSecond = 0): RunResult {
  const grid = buildGrid(windows);
  const q = (f: number) => pooledQuantile(grid, f);
  const count = grid.totals.reduce((a, b) => a + b, 0);
  const lat: LatencySummary = {
    count,
    minMs: q(0),
    meanMs: q(0.5),
    p50Ms: q(0.5),
    p90Ms: q(0.9),
    p95Ms: q(0.95),
    p99Ms: q(0.99),
    p999Ms: q(0.999),
    maxMs: q(1),
  };
  const series = windows.map((_, i) => ({
    second: i,
    sent: grid.totals[i]! + errorsPerSecond,
    ok: grid.totals[i]!,
    errors: errorsPerSecond,
    p50Ms: 0,
    p99Ms: 0,
    maxMs: 0,
  }));
  const errors = errorsPerSecond * windows.length;
  return {
    schemaVersion: 1,
    startedAt: '',
    target: { url: 'http://x', model: 'm', binary: false },
    mode: 'open',
    arrival: 'constant',
    durationMs: windows.length * 1000,
    warmupMs: 0,
    connections: 1,
    concurrency: null,
    rate: { requestedPerSec: 200, sentPerSec: 200, achievedPerSec: count / windows.length },
    requests: { scheduled: count + errors, sent: count + errors, ok: count, errors, notSent: 0, sentLate: 0 },
    lateThresholdMs: 2,
    errorsByClass: errors ? { http_503: errors } : {},
    errorRate: errors / (count + errors),
    latency: lat,
    service: lat,
    histograms: { latencyUs: '', serviceUs: '' },
    series,
    interrupted: false,
  };
}

const windows = synthesize({ medianMs: 20, sigma: 0.5, seconds: 20, perSecond: 200 }, 7);
const r = resultOf(windows);
const judge = (targets: SloTargets, confidence = 0.95, res = r, w: WindowCounts[] | undefined = windows) =>
  judgeGates(res, evaluateGates(res, targets), { confidence, seed: 1, windows: w });

test('a target far above the interval is met, one far below it missed, one inside it inconclusive', () => {
  const p50 = r.latency.p50Ms;
  const met = judge({ p50Ms: p50 * 1.2 }).checks[0]!;
  assert.equal(met.outcome, 'met');
  assert.equal(met.method, 'block-bootstrap');
  assert.ok(met.ciLow < p50 && p50 < met.ciHigh && met.ciHigh < p50 * 1.2);
  const missed = judge({ p50Ms: p50 * 0.8 });
  assert.equal(missed.checks[0]!.outcome, 'missed');
  assert.equal(missed.verdict, 'fail');
  // Just under the point estimate: today's gate says FAIL; the interval says it cannot tell.
  const close = judge({ p50Ms: p50 * 0.995 });
  assert.equal(evaluateGates(r, { p50Ms: p50 * 0.995 }).passed, false);
  const c = close.checks[0]!;
  assert.equal(c.outcome, 'inconclusive');
  assert.equal(close.verdict, 'inconclusive');
  assert.ok(c.decideSeconds! > 20, `decide ${c.decideSeconds}`);
  assert.match(c.message, /straddles the target: a run of about \d+s would likely decide it/);
  assert.match(tableModel(r, close).verdict, /^INCONCLUSIVE: p50/);
  assert.ok(
    tableModel(r, close)
      .rows.find((row) => row[0] === 'p50')!
      .includes('?'),
  );
  assert.match(tableModel(r, close).rows.find((row) => row[0] === 'p50')![1]!, /\[.*-.*\]/);
});

test('--confidence 0 gives exactly the old point-estimate gates', () => {
  const p50 = r.latency.p50Ms;
  const old = evaluateGates(r, { p50Ms: p50 * 0.995, p99Ms: 1000 });
  const judged = judge({ p50Ms: p50 * 0.995, p99Ms: 1000 }, 0);
  assert.deepEqual(
    judged.checks.map((c) => [c.passed, c.message, c.ciLow, c.ciHigh, c.outcome]),
    old.checks.map((c) => [c.passed, c.message, c.actual, c.actual, c.passed ? 'met' : 'missed']),
  );
  assert.equal(judged.verdict, 'fail');
});

test('a p99 of a few hundred requests is judged on its point estimate and says so', () => {
  const few = synthesize({ medianMs: 20, sigma: 0.5, seconds: 10, perSecond: 30 }, 8);
  const res = resultOf(few);
  const j = judge({ p99Ms: res.latency.p99Ms * 0.99 }, 0.95, res, few);
  assert.equal(j.checks[0]!.method, 'point');
  assert.equal(j.checks[0]!.outcome, 'missed');
  assert.match(j.checks[0]!.message, /too few samples for an interval/);
});

test('error rate: zero failures meet a 0% target; one failure misses it; a rate near its target is inconclusive', () => {
  assert.equal(judge({ errorRate: 0 }).checks[0]!.outcome, 'met');
  const one = resultOf(windows, 0);
  one.series[3]!.errors = 1;
  one.requests.errors = 1;
  one.errorRate = 1 / (one.requests.ok + 1);
  assert.equal(
    judgeGates(one, evaluateGates(one, { errorRate: 0 }), { confidence: 0.95, seed: 1, windows }).checks[0]!.outcome,
    'missed',
  );
  const some = resultOf(windows, 2);
  const near = judgeGates(some, evaluateGates(some, { errorRate: some.errorRate * 1.05 }), {
    confidence: 0.95,
    seed: 1,
    windows,
  });
  assert.equal(near.checks[0]!.outcome, 'inconclusive');
});

test('max has no interval; a ramp (no windows) is judged on point estimates', () => {
  assert.match(judge({ maxMs: 10_000 }).checks[0]!.note!, /maximum has no interval/);
  const ramp = judgeGates(r, evaluateGates(r, { p50Ms: 1000 }), { confidence: 0.95, seed: 1 });
  assert.match(ramp.checks[0]!.note!, /no per-second windows/);
});

test('the run verdict: any missed fails, else any inconclusive, else pass; exit codes 0, 1, 4 and --inconclusive', () => {
  const c = (outcome: JudgedCheck['outcome']) => ({ outcome }) as JudgedCheck;
  assert.equal(verdictOf([c('met'), c('inconclusive'), c('missed')]), 'fail');
  assert.equal(verdictOf([c('met'), c('inconclusive')]), 'inconclusive');
  assert.equal(verdictOf([c('met')]), 'pass');
  assert.equal(verdictOf([]), 'pass');
  const plain = parseVerdictFlags({});
  assert.deepEqual(
    [
      verdictExitCode('pass', plain),
      verdictExitCode('fail', plain),
      verdictExitCode('inconclusive', plain),
      verdictExitCode('unreliable', plain),
    ],
    [0, 1, 4, 4],
  );
  assert.equal(verdictExitCode('inconclusive', parseVerdictFlags({ inconclusive: 'pass' })), 0);
  assert.equal(verdictExitCode('unreliable', parseVerdictFlags({ inconclusive: 'fail' })), 1);
  assert.throws(() => parseVerdictFlags({ inconclusive: 'maybe' }), /--inconclusive maybe: give pass or fail/);
  assert.equal(parseConfidence(undefined), 0.95);
  assert.equal(parseConfidence('99%'), 0.99);
  assert.equal(parseConfidence('0'), 0);
  assert.throws(() => parseConfidence('0.95'), /--confidence 0.95: give a percentage from 50 to 99.9/);
});
