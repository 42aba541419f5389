// The rollout's pure core: the judge (target misses, regression against the old version with and
// without enough samples, the 5 ms floor, the stricter evidence that ends a step early), the step machine on a manual clock, the per-version
// figures from the gateway's histogram, and the steps flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { DURING_STEP, judgeStep, minSamples } from '../../src/cluster/rollout/judge.js';
import { advance, initialStep, parseStepsPercent, type StepState } from '../../src/cluster/rollout/steps.js';
import { figuresOf, parseVersionMetrics, percentileMs, stepCounts } from '../../src/cluster/rollout/figures.js';
import type { VersionFigures } from '../../src/common/rollout.js';

const fig = (count: number, p50Ms: number, p99Ms: number, errors = 0): VersionFigures => ({
  count,
  errors,
  p50Ms,
  p90Ms: p50Ms,
  p95Ms: p50Ms,
  p99Ms,
});
const rules = { slo: { p99Ms: 100 }, maxRegression: 0.2 };

test('judge: a percentile above the profile target misses, once there are enough samples for it', () => {
  assert.deepEqual(judgeStep(fig(500, 5, 20), fig(500, 5, 20), rules), { ok: true, misses: [] });
  const miss = judgeStep(fig(2000, 5, 20), fig(1000, 5, 120), { slo: { p99Ms: 100 }, maxRegression: 10 });
  assert.equal(miss.ok, false);
  assert.match(miss.misses[0]!, /^p99 120\.0 ms is above the target 100\.0 ms$/);
  assert.equal(judgeStep(fig(2000, 5, 20), fig(1000, 5, 120), { slo: { p99Ms: 100 }, maxRegression: 10 }).ok, false);
  // 999 samples are too few for a p99 (fewer than 10 above it): neither the target nor the old version judge it.
  assert.equal(judgeStep(fig(2000, 5, 20), fig(999, 5, 500), rules).ok, true);
  assert.deepEqual([0.5, 0.9, 0.95, 0.99].map(minSamples), [20, 100, 200, 1000]);
});

test('judge: the error rate above slo.error_rate (1% when unset) misses', () => {
  assert.equal(judgeStep(fig(500, 5, 20), fig(100, 5, 20, 1), rules).ok, true);
  const r = judgeStep(fig(500, 5, 20), fig(100, 5, 20, 2), rules);
  assert.deepEqual([r.ok, /error rate 2\.0% \(2 of 100\)/.test(r.misses[0]!)], [false, true]);
  assert.equal(judgeStep(fig(500, 5, 20), fig(100, 5, 20, 2), { ...rules, slo: { errorRate: 0.05 } }).ok, true);
});

test('judge: slower than the old version by more than --max-regression and more than 5 ms misses; both need enough samples', () => {
  // 30 ms vs 10 ms at p50: 200% and 20 ms worse.
  const r = judgeStep(fig(200, 10, 20), fig(40, 30, 35), rules);
  assert.equal(r.ok, false);
  assert.match(r.misses[0]!, /^p50 30\.0 ms is 200% above the old version's 10\.0 ms/);
  // The same figures with too few samples of the new version (19 < 20) or of the old one: not judged.
  assert.equal(judgeStep(fig(200, 10, 20), fig(19, 30, 35), rules).ok, true);
  assert.equal(judgeStep(fig(19, 10, 20), fig(200, 30, 35), rules).ok, true);
  // p99 is judged only with 1000 samples each: 999 of the old version leaves p99 out.
  const p99only = (n: number) =>
    judgeStep({ count: n, errors: 0, p99Ms: 20 }, { count: 1500, errors: 0, p99Ms: 60 }, rules);
  assert.equal(p99only(999).ok, true);
  assert.equal(p99only(1000).ok, false);
});

test('judge during a step: ten failures, not one, and twice the samples before a miss ends the step early', () => {
  // 3 failures in 100 miss at the step's end, not during it; 10 in 300 do.
  assert.equal(judgeStep(fig(500, 5, 20), fig(100, 5, 20, 3), rules).ok, false);
  assert.equal(judgeStep(fig(500, 5, 20), fig(100, 5, 20, 3), rules, DURING_STEP).ok, true);
  assert.equal(judgeStep(fig(500, 5, 20), fig(300, 5, 20, 10), rules, DURING_STEP).ok, false);
  // A p50 regression on 20-39 samples waits for the step's end; on 40 it ends the step.
  assert.equal(judgeStep(fig(200, 10, 20), fig(39, 30, 35), rules, DURING_STEP).ok, true);
  assert.equal(judgeStep(fig(200, 10, 20), fig(40, 30, 35), rules, DURING_STEP).ok, false);
  assert.equal(judgeStep(fig(200, 10, 20), fig(39, 30, 35), rules).ok, false);
});

test('judge: the 5 ms floor: 100% slower but only 4 ms apart is no regression; 21% and 6 ms is one', () => {
  assert.equal(judgeStep(fig(2000, 4, 8), fig(2000, 8, 12), rules).ok, true);
  assert.equal(judgeStep(fig(2000, 28, 40), fig(2000, 34, 40), rules).ok, false);
  // Within 20%: 30 ms vs 26 ms (15%) passes whatever the ms difference.
  assert.equal(judgeStep(fig(2000, 26, 40), fig(2000, 30, 40), rules).ok, true);
  // Faster is never a regression.
  assert.equal(judgeStep(fig(2000, 30, 60), fig(2000, 3, 6), rules).ok, true);
});

test('step machine on a manual clock: steps in order, judged at each step end, completes after the last', () => {
  const clock = new ManualClock(1000);
  const plan = { stepsPercent: [10, 50, 100], stepTimeMs: 2000 };
  let s: StepState = initialStep;
  const weights: number[] = [];
  let judgeAt = 0;
  const feed = (e: Parameters<typeof advance>[1]) => {
    const r = advance(s, e, plan, clock.nowMs());
    s = r.state;
    for (const a of r.actions) {
      if (a.type === 'weights') weights.push(a.percent);
      if (a.type === 'judge-at') judgeAt = a.atMs;
    }
    return r.actions;
  };
  assert.deepEqual(feed({ type: 'judged', ok: true }), [], 'nothing to judge before the replicas are ready');
  feed({ type: 'ready' });
  assert.deepEqual([s.phase, s.step, judgeAt, weights], ['stepping', 1, 3000, [10]]);
  clock.set(judgeAt);
  feed({ type: 'judged', ok: true });
  assert.deepEqual([s.step, judgeAt, weights], [2, 5000, [10, 50]]);
  clock.set(judgeAt);
  feed({ type: 'judged', ok: true });
  clock.set(judgeAt);
  assert.deepEqual(feed({ type: 'judged', ok: true }), [{ type: 'complete' }]);
  assert.equal(s.phase, 'completing');
  assert.deepEqual(feed({ type: 'abort', why: 'late' }), [], 'an abort after the last step changes nothing');
  feed({ type: 'done' });
  assert.equal(s.phase, 'completed');
});

test('step machine: a missed step rolls back at once; an abort while starting or stepping rolls back; done ends it', () => {
  const plan = { stepsPercent: [10, 100], stepTimeMs: 2000 };
  let r = advance(
    advance(initialStep, { type: 'ready' }, plan, 0).state,
    { type: 'judged', ok: false, why: 'p50 too slow' },
    plan,
    2000,
  );
  assert.deepEqual(r.actions, [{ type: 'rollback', why: 'p50 too slow' }]);
  assert.deepEqual([r.state.phase, r.state.step, r.state.reason], ['rolling-back', 1, 'p50 too slow']);
  assert.deepEqual(advance(r.state, { type: 'judged', ok: true }, plan, 2100).actions, [], 'a late verdict is ignored');
  assert.equal(advance(r.state, { type: 'done' }, plan, 2200).state.phase, 'rolled-back');
  r = advance(initialStep, { type: 'abort', why: 'no room' }, plan, 0);
  assert.deepEqual([r.state.phase, r.actions], ['rolling-back', [{ type: 'rollback', why: 'no room' }]]);
});

test('figures: per-version counts from the gateway text, the step difference, interpolated percentiles', () => {
  const text = (n1: number, n2: number, slow: number) =>
    [
      `serve_gateway_version_request_duration_seconds_bucket{le="0.005",version="1"} ${n1}`,
      `serve_gateway_version_request_duration_seconds_bucket{le="0.01",version="1"} ${n1}`,
      `serve_gateway_version_request_duration_seconds_bucket{le="+Inf",version="1"} ${n1}`,
      `serve_gateway_version_request_duration_seconds_bucket{le="0.005",version="2"} ${n2 - slow}`,
      `serve_gateway_version_request_duration_seconds_bucket{le="0.01",version="2"} ${n2}`,
      `serve_gateway_version_request_duration_seconds_bucket{le="+Inf",version="2"} ${n2}`,
      `serve_gateway_version_errors_total{version="2"} 3`,
    ].join('\n');
  const before = parseVersionMetrics(text(100, 10, 0));
  const after = parseVersionMetrics(text(300, 110, 50));
  const v2 = stepCounts(before, after, '2');
  assert.deepEqual([v2.count, v2.errors], [100, 0]);
  // 50 of 100 at or under 5 ms, the other 50 in (5, 10]: p50 = 5 ms, p99 = 5 + 49/50 * 5.
  assert.equal(percentileMs(v2, 0.5), 5);
  assert.ok(Math.abs(percentileMs(v2, 0.99)! - 9.9) < 1e-9);
  assert.deepEqual(figuresOf(stepCounts(before, after, '1')), {
    count: 200,
    errors: 0,
    p50Ms: 2.5,
    p90Ms: 4.5,
    p95Ms: 4.75,
    p99Ms: 4.95,
  });
  assert.deepEqual(figuresOf(stepCounts(before, after, '9')), { count: 0, errors: 0 });
  // A gateway restart (counters went down): the later scrape is the whole step.
  assert.equal(stepCounts(after, before, '1').count, 100);
});

test('--steps: increasing shares ending at 100%', () => {
  assert.deepEqual(parseStepsPercent('10%,50%,100%'), [10, 50, 100]);
  assert.throws(() => parseStepsPercent('50%,10%,100%'), /steps must increase, got 50% then 10%/);
  assert.throws(() => parseStepsPercent('10%,50%'), /the last step must be 100%/);
  assert.throws(() => parseStepsPercent('10,100%'), /expected shares such as/);
});
