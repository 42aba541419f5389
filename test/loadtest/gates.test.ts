// Gate evaluation (loadtest, pure): every target kind passes and fails at its threshold, and a
// baseline regression fails beyond --max-regression.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateGates, NO_SUCCESS_NOTE, REGRESSION_FLOOR_MS } from '../../src/loadtest/gates.js';
import { tableModel } from '../../src/loadtest/report.js';
import type { LatencySummary, RunResult, SloTargets } from '../../src/loadtest/types.js';

function result(latency: Partial<LatencySummary>, errorRate = 0, achievedPerSec = 200): RunResult {
  const lat: LatencySummary = {
    count: 100_000,
    minMs: 1,
    meanMs: 10,
    p50Ms: 10,
    p90Ms: 20,
    p95Ms: 30,
    p99Ms: 40,
    p999Ms: 50,
    maxMs: 60,
    ...latency,
  };
  return {
    schemaVersion: 1,
    startedAt: '',
    target: { url: 'http://x', model: 'm', binary: false },
    mode: 'open',
    arrival: 'constant',
    durationMs: 1000,
    warmupMs: 0,
    connections: 1,
    concurrency: null,
    rate: { requestedPerSec: 200, sentPerSec: 200, achievedPerSec },
    requests: { scheduled: 1, sent: 1, ok: 1, errors: 0, notSent: 0, sentLate: 0 },
    lateThresholdMs: 2,
    errorsByClass: {},
    errorRate,
    latency: lat,
    service: lat,
    histograms: { latencyUs: '', serviceUs: '' },
    series: [],
    interrupted: false,
  };
}

const r = result({});
const cases: Array<[string, SloTargets, SloTargets]> = [
  ['p50', { p50Ms: 10 }, { p50Ms: 9.9 }],
  ['p90', { p90Ms: 20 }, { p90Ms: 19 }],
  ['p95', { p95Ms: 31 }, { p95Ms: 29 }],
  ['p99', { p99Ms: 40 }, { p99Ms: 39.99 }],
  ['p999', { p999Ms: 100 }, { p999Ms: 49 }],
  ['max', { maxMs: 60 }, { maxMs: 59 }],
  ['errorRate', { errorRate: 0 }, { errorRate: 0 }],
  ['minRps', { minRps: 200 }, { minRps: 201 }],
];

for (const [metric, passing, failing] of cases) {
  test(`target ${metric}: passes at its limit, fails beyond it`, () => {
    const input = metric === 'errorRate' ? result({}, 0.02) : r;
    const pass = evaluateGates(metric === 'errorRate' ? r : input, passing);
    assert.equal(pass.passed, true, JSON.stringify(pass));
    assert.equal(pass.checks.length, 1);
    assert.equal(pass.checks[0]!.metric, metric);
    const fail = evaluateGates(input, failing);
    assert.equal(fail.passed, false, JSON.stringify(fail));
    assert.equal(fail.checks[0]!.passed, false);
    assert.match(
      fail.checks[0]!.message,
      metric === 'minRps' ? /throughput .* < / : metric === 'errorRate' ? /error rate 2% > 0%/ : / > /,
    );
  });
}

test('no targets: nothing gated, passes', () => {
  assert.deepEqual(evaluateGates(r, {}), { passed: true, checks: [] });
});

test('baseline: within the allowed regression passes; beyond it fails, naming the metric', () => {
  const base = result({});
  const slower = result({ p99Ms: 40 * 1.2 });
  const ok = evaluateGates(result({ p99Ms: 40 * 1.09 }), {}, base, 0.1);
  assert.equal(ok.passed, true);
  const bad = evaluateGates(slower, {}, base, 0.1);
  assert.equal(bad.passed, false);
  assert.deepEqual(
    bad.checks.filter((c) => !c.passed).map((c) => c.metric),
    ['p99'],
  );
  assert.equal(evaluateGates(slower, {}, base, 0.25).passed, true);
  const lessThroughput = evaluateGates(result({}, 0, 170), {}, base, 0.1);
  assert.deepEqual(
    lessThroughput.checks.filter((c) => !c.passed).map((c) => c.metric),
    ['throughput'],
  );
});

test('baseline: sub-millisecond growth is below the noise floor', () => {
  const base = result({ p50Ms: 0.3, p90Ms: 0.4, p95Ms: 0.5, p99Ms: 0.6, p999Ms: 0.7 });
  const cur = result({ p50Ms: 0.3 + REGRESSION_FLOOR_MS * 0.9, p90Ms: 0.4, p95Ms: 0.5, p99Ms: 0.6, p999Ms: 0.7 });
  assert.equal(evaluateGates(cur, {}, base, 0.1).passed, true);
});

test('baseline: a percentile is compared only when both runs have enough samples for it', () => {
  const base = result({ count: 60 });
  const cur = result({ count: 60, p50Ms: 10, p90Ms: 20, p95Ms: 300, p99Ms: 400, p999Ms: 500 });
  const report = evaluateGates(cur, {}, base, 0.1);
  assert.deepEqual(
    report.checks.map((c) => c.metric),
    ['p50', 'p90', 'throughput'],
  );
  assert.equal(report.passed, true);
});

test('a latency target with no successful request fails, saying so, whatever the target', () => {
  // Every request failed: the empty histogram reads 0 ms for every percentile.
  const empty = result(
    { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p95Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 },
    1,
    0,
  );
  const report = evaluateGates(empty, { p50Ms: 1000, p99Ms: 5000, maxMs: 60_000 });
  assert.equal(report.passed, false);
  assert.deepEqual(
    report.checks.map((c) => [c.metric, c.passed]),
    [
      ['p50', false],
      ['p99', false],
      ['max', false],
    ],
  );
  for (const c of report.checks) assert.match(c.message, new RegExp(NO_SUCCESS_NOTE));
  const table = tableModel(empty, report);
  assert.match(table.verdict, /^FAIL: p50: no successful request to measure/);
  assert.deepEqual(table.rows.find((r) => r[0] === 'p99')!.slice(1, 3), ['n/a', 'n/a']);
  assert.ok(
    table.notes.some((n) => n.includes(NO_SUCCESS_NOTE)),
    table.notes.join('\n'),
  );
  // One success is enough to judge.
  assert.equal(evaluateGates(result({ count: 1, p50Ms: 3 }), { p50Ms: 5 }).passed, true);
});

test('a run with no successful request fails even without targets, and says so', () => {
  const failed: RunResult = {
    ...r,
    requests: { scheduled: 40, sent: 40, ok: 0, errors: 40, notSent: 0, sentLate: 0 },
    errorsByClass: { http_503: 40 },
    errorRate: 1,
  };
  const report = evaluateGates(failed, {});
  assert.equal(report.passed, false);
  assert.deepEqual(
    report.checks.map((c) => [c.metric, c.passed, c.message]),
    [['successes', false, 'no successful request (40 sent, 40 failed)']],
  );
  assert.equal(tableModel(failed, report).verdict, 'FAIL: no successful request (40 sent, 40 failed)');
  // With targets it is one more failed check; one success is enough to drop it.
  assert.deepEqual(
    evaluateGates(failed, { errorRate: 0.5 }).checks.map((c) => c.metric),
    ['errorRate', 'successes'],
  );
  assert.deepEqual(evaluateGates(r, {}).checks, []);
});
