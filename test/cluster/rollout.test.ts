// The rollout's pure core: the judge (intervals on the ratio new/old, on targets and on the error
// rate; pass, fail, not yet; too few samples never pass), the step machine on a manual clock (not
// yet runs a step on up to --max-step-time, then rollout.on_inconclusive), the per-version figures
// and windows from the gateway's histogram, the warmup rule, and the steps flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { seededRandom } from '../../src/common/random.js';
import {
  AT_STEP_END,
  DURING_STEP,
  judgeStep,
  samplesNeeded,
  type StepSamples,
  type VersionWindows,
} from '../../src/cluster/rollout/judge.js';
import { callLine } from '../../src/cluster/rollout/judgement-lines.js';
import {
  advance,
  initialStep,
  parseStepsPercent,
  type StepPlan,
  type StepState,
} from '../../src/cluster/rollout/steps.js';
import {
  figuresOf,
  parseVersionMetrics,
  percentileMs,
  stepCounts,
  windowOf,
} from '../../src/cluster/rollout/figures.js';
import { WARMUP, settled, warmReplica, warmupBody } from '../../src/cluster/rollout/warmup.js';
import { windowsFromSamples } from '../../src/stats/index.js';

/**
 * `windows` windows of `perWindow` latencies each: log-normal around `medianMs` (sigma 0.35), times
 * `slow`, rounded to 0.01 ms; `errors` failures spread over the windows.
 */
function version(
  seed: number,
  windows: number,
  perWindow: number,
  medianMs: number,
  slow = 1,
  errors = 0,
): VersionWindows {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const samples = Array.from({ length: windows }, () =>
    Array.from({ length: perWindow }, () => Math.round(medianMs * slow * Math.exp(0.35 * normal()) * 100) / 100),
  );
  return {
    latency: windowsFromSamples(samples),
    rates: samples.map((w, k) => {
      const e = Math.floor((errors * (k + 1)) / windows) - Math.floor((errors * k) / windows);
      return { ok: w.length - e, errors: e };
    }),
  };
}
const paired = (old: VersionWindows, neu: VersionWindows): StepSamples => ({ old, new: neu, paired: true });
/** The ratio alone (no floor in ms): these versions answer in about 1.3 ms. */
const rules = { slo: {}, maxRegression: 0.2, floorMs: 0 };
const call = (j: ReturnType<typeof judgeStep>, figure: string, against = 'old') =>
  j.calls.find((c) => c.figure === figure && c.against === against)!;

test('judge: an identical copy passes with each ratio interval around 1; a figure needs its samples', () => {
  // A 6 s step at 100 req/s with 25% to the new version: 12 windows of 500 ms, 13 and 38 requests each.
  const j = judgeStep(paired(version(1, 12, 38, 1.3), version(2, 12, 13, 1.3)), rules);
  assert.equal(j.outcome, 'pass', j.calls.map(callLine).join('; '));
  const p50 = call(j, 'p50');
  assert.ok(p50.low < 1 && p50.high > 1 && p50.high <= 1.2, callLine(p50));
  // 156 samples: p95 (400) and p99 (2,000) are not judged, and say why.
  assert.equal(call(j, 'p95').outcome, 'unjudged');
  assert.match(call(j, 'p99').note!, /too few samples \(156 < 2000\) for p99/);
  assert.deepEqual([0.5, 0.95, 0.99].map(samplesNeeded), [40, 400, 2000]);
  assert.deepEqual([j.seconds, j.samples], [12, { old: 456, new: 156 }]);
});

test('judge: a version 30% slower at every percentile: not yet on 6 s of 25 req/s, fail once the step ran on to 18 s', () => {
  // At 156 samples the p50 ratio's interval is about +-12%: 1.3x straddles the 1.20 limit.
  assert.equal(judgeStep(paired(version(3, 12, 38, 1.3), version(4, 12, 13, 1.3, 1.3)), rules).outcome, 'unsure');
  // The step runs on to --max-step-time (3x): 36 windows, 468 samples.
  const j = judgeStep(paired(version(3, 36, 38, 1.3), version(4, 36, 13, 1.3, 1.3)), rules);
  assert.equal(j.outcome, 'fail', j.calls.map(callLine).join('; '));
  const p50 = call(j, 'p50');
  assert.ok(p50.low > 1.2, callLine(p50));
  assert.match(
    callLine(p50),
    /^p50 1\.\d\dx \[1\.\d\d, 1\.\d\d\] \(\+0\.\d\d ms on 1\.\d\d ms, floor 0 ms\), allowed 1\.20: FAIL$/,
  );
});

test('judge: a version near the limit is "not yet" (its interval straddles 1.20), never a confident answer', () => {
  const j = judgeStep(paired(version(5, 12, 38, 1.3), version(6, 12, 13, 1.3, 1.2)), rules);
  const p50 = call(j, 'p50');
  assert.equal(p50.outcome, 'unsure', callLine(p50));
  assert.ok(p50.low <= 1.2 && p50.high > 1.2);
  assert.equal(j.outcome, 'unsure');
  assert.match(callLine(p50), /: not yet$/);
  // The same difference with ten times the samples is decided (one way or the other, not "not yet" on both).
  const more = judgeStep(paired(version(5, 12, 380, 1.3), version(6, 12, 130, 1.3, 1.3)), rules);
  assert.equal(more.outcome, 'fail');
});

test('judge: too few samples is "not yet", never a pass (a step the cache answered)', () => {
  const j = judgeStep(paired(version(7, 12, 38, 1.3), version(8, 5, 1, 1.3)), rules);
  assert.equal(j.outcome, 'unsure');
  assert.ok(j.calls.every((c) => c.figure === 'errors' || c.outcome === 'unjudged'));
  assert.match(callLine(call(j, 'p50')), /^p50 not judged \(too few samples \(5 < 40\) for p50\)$/);
});

test('judge: the error rate against slo.error_rate (1% unset) or the old rate; zero old errors hide nothing', () => {
  const old = version(9, 12, 38, 1.3);
  const judge = (errors: number, slo = {}) =>
    call(judgeStep(paired(old, version(10, 12, 13, 1.3, 1, errors)), { ...rules, slo }), 'errors', 'error-rate');
  assert.equal(judge(0).outcome, 'pass');
  // 1 of 156 (0.6%): the interval reaches above 1%: not yet. 8 of 156 (5%): wholly above: fail.
  assert.equal(judge(1).outcome, 'unsure');
  const many = judge(8);
  assert.equal(many.outcome, 'fail');
  assert.match(callLine(many), /^errors 5\.1% \[\d\.\d%, \d+\.\d%\] \(8 of 156\), allowed 1\.0%: FAIL$/);
  assert.equal(judge(8, { errorRate: 0.5 }).outcome, 'pass');
  // An old version failing 10% itself: the new one is held to that rate, not to 1%.
  const bad = judgeStep(paired(version(11, 12, 38, 1.3, 1, 46), version(12, 12, 13, 1.3, 1, 8)), rules);
  assert.equal(call(bad, 'errors', 'error-rate').allowed.toFixed(3), (46 / 456).toFixed(3));
});

test('judge: a percentile against its target: wholly above fails, straddling is not yet', () => {
  const old = version(13, 12, 300, 1.3);
  const j = judgeStep(paired(old, version(14, 12, 300, 1.3)), { slo: { p99Ms: 1.0 }, maxRegression: 0.2, floorMs: 0 });
  assert.equal(call(j, 'p99', 'target').outcome, 'fail');
  const p50 = judgeStep(paired(old, version(14, 12, 300, 1.3)), {
    slo: { p50Ms: 1.29 },
    maxRegression: 0.2,
    floorMs: 0,
  });
  assert.equal(call(p50, 'p50', 'target').outcome, 'unsure', callLine(call(p50, 'p50', 'target')));
  // At the 100% step the old version's windows are the previous step's (not paired): still judged.
  const alone = judgeStep({ old, new: version(15, 12, 300, 1.3, 1.5), paired: false }, rules);
  assert.equal(alone.outcome, 'fail');
});

test("judge during a step: 99% intervals, wider than the step end's 95%", () => {
  const s = paired(version(16, 12, 38, 1.3), version(17, 12, 13, 1.3, 1.1));
  const end = call(judgeStep(s, rules, AT_STEP_END), 'p50');
  const during = call(judgeStep(s, rules, DURING_STEP), 'p50');
  assert.ok(during.low <= end.low && during.high >= end.high && during.high - during.low > end.high - end.low);
});

/** Step 1 of `plan`, its weights routed at `atMs`. */
const routed = (plan: StepPlan, atMs: number): StepState =>
  advance(advance(initialStep, { type: 'ready' }, plan, atMs).state, { type: 'routed', step: 1 }, plan, atMs).state;

test('step machine on a manual clock: steps in order, judged at each step end, completes after the last', () => {
  const clock = new ManualClock(1000);
  const plan: StepPlan = {
    stepsPercent: [10, 50, 100],
    stepTimeMs: 2000,
    maxStepTimeMs: 6000,
    onInconclusive: 'rollback',
  };
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
  assert.deepEqual(feed({ type: 'judged', outcome: 'pass' }), [], 'nothing to judge before the replicas are ready');
  feed({ type: 'ready' });
  // A step starts with its weights; its time (and its judgement) only once they are routed.
  assert.deepEqual([s.phase, s.step, s.stepEndsAtMs, judgeAt, weights], ['stepping', 1, undefined, 0, [10]]);
  assert.deepEqual(feed({ type: 'judged', outcome: 'pass' }), [], 'a step not routed yet is not judged');
  feed({ type: 'routed', step: 1 });
  assert.deepEqual([s.stepStartedAtMs, judgeAt], [1000, 3000]);
  assert.deepEqual(feed({ type: 'routed', step: 1 }), [], 'routed once');
  clock.set(judgeAt);
  feed({ type: 'judged', outcome: 'pass' });
  assert.deepEqual([s.step, weights], [2, [10, 50]]);
  // Step 2's held replica is warmed again before it rejoins routing (here 4 s, longer than the
  // step itself): step 2's time counts from its routing, after that warmup.
  assert.deepEqual(feed({ type: 'routed', step: 1 }), [], 'a late routed of the step before changes nothing');
  clock.set(judgeAt + 4000);
  feed({ type: 'routed', step: 2 });
  assert.deepEqual([s.stepStartedAtMs, judgeAt], [7000, 9000]);
  clock.set(judgeAt);
  feed({ type: 'judged', outcome: 'pass' });
  feed({ type: 'routed', step: 3 });
  clock.set(judgeAt);
  assert.deepEqual(feed({ type: 'judged', outcome: 'pass' }), [{ type: 'complete' }]);
  assert.equal(s.phase, 'completing');
  assert.deepEqual(feed({ type: 'abort', why: 'late' }), [], 'an abort after the last step changes nothing');
  feed({ type: 'done' });
  assert.equal(s.phase, 'completed');
});

test('step machine: a missed step rolls back at once; an abort while starting or stepping rolls back; done ends it', () => {
  const plan: StepPlan = { stepsPercent: [10, 100], stepTimeMs: 2000, maxStepTimeMs: 6000, onInconclusive: 'rollback' };
  let r = advance(routed(plan, 0), { type: 'judged', outcome: 'fail', why: 'p50 too slow' }, plan, 2000);
  assert.deepEqual(r.actions, [{ type: 'rollback', why: 'p50 too slow' }]);
  assert.deepEqual([r.state.phase, r.state.step, r.state.reason], ['rolling-back', 1, 'p50 too slow']);
  assert.deepEqual(
    advance(r.state, { type: 'judged', outcome: 'pass' }, plan, 2100).actions,
    [],
    'a late verdict is ignored',
  );
  assert.equal(advance(r.state, { type: 'done' }, plan, 2200).state.phase, 'rolled-back');
  r = advance(initialStep, { type: 'abort', why: 'no room' }, plan, 0);
  assert.deepEqual([r.state.phase, r.actions], ['rolling-back', [{ type: 'rollback', why: 'no room' }]]);
  // An abort while a step's weights are being set (a rejoin warmup) rolls back too.
  r = advance(advance(initialStep, { type: 'ready' }, plan, 0).state, { type: 'abort', why: 'Ctrl-C' }, plan, 10);
  assert.deepEqual([r.state.phase, r.actions], ['rolling-back', [{ type: 'rollback', why: 'Ctrl-C' }]]);
});

test('step machine: not yet runs the step on, half a step at a time, up to --max-step-time; then on_inconclusive', () => {
  for (const onInconclusive of ['rollback', 'proceed'] as const) {
    const plan: StepPlan = { stepsPercent: [25, 100], stepTimeMs: 2000, maxStepTimeMs: 5000, onInconclusive };
    let s = routed(plan, 0);
    const unsure = { type: 'judged', outcome: 'unsure', why: 'p50 not yet' } as const;
    let r = advance(s, unsure, plan, 2000);
    assert.deepEqual(r.actions, [
      { type: 'not-yet', atMs: 3000 },
      { type: 'judge-at', atMs: 3000 },
    ]);
    assert.deepEqual([r.state.phase, r.state.step, r.state.stepEndsAtMs], ['stepping', 1, 3000]);
    s = advance(r.state, unsure, plan, 3000).state;
    s = advance(s, unsure, plan, 4000).state;
    assert.equal(s.stepEndsAtMs, 5000, 'the last look is at the step start + max step time');
    r = advance(s, unsure, plan, 5000);
    assert.deepEqual(r.actions[0], { type: 'inconclusive', then: onInconclusive });
    if (onInconclusive === 'rollback')
      assert.deepEqual([r.state.phase, r.actions[1]], ['rolling-back', { type: 'rollback', why: 'p50 not yet' }]);
    else
      assert.deepEqual([r.state.phase, r.state.step, r.actions[1]], ['stepping', 2, { type: 'weights', percent: 100 }]);
  }
  // A pass during the extension goes on at once.
  const plan: StepPlan = { stepsPercent: [25, 100], stepTimeMs: 2000, maxStepTimeMs: 6000, onInconclusive: 'rollback' };
  const s = advance(routed(plan, 0), { type: 'judged', outcome: 'unsure' }, plan, 2000).state;
  assert.equal(advance(s, { type: 'judged', outcome: 'pass' }, plan, 3000).state.step, 2);
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
  // One window of version 2 for the judge: each bucket's own count at its bound, failures apart.
  const w = windowOf({ ...v2, errors: 4 });
  assert.deepEqual(w.latency, { valuesMs: [5, 10], counts: [50, 50] });
  assert.deepEqual(w.rate, { ok: 96, errors: 4 });
  // Past the last finite bound: counted at that bound.
  assert.deepEqual(
    windowOf({
      buckets: [
        [5, 2],
        [Infinity, 5],
      ],
      count: 5,
      errors: 0,
    }).latency,
    { valuesMs: [5], counts: [5] },
  );
});

test('warmup: rounds until two medians agree within 10%; a body of zeros from the metadata', async () => {
  const rule = { ...WARMUP, minRounds: 3 };
  assert.equal(settled([5, 1.2, 1.25], rule), true);
  assert.equal(settled([5, 1.2], rule), false, 'at least three rounds');
  assert.equal(settled([5, 3, 1.3], rule), false);
  assert.equal(settled([5, 1.2, 1.25]), false, 'the default asks for 25 rounds (500 requests)');
  // A cold replica: 20 ms, then 8, then 1.3 ms a request from the third round on.
  const clock = new ManualClock(0);
  let n = 0;
  const r = await warmReplica(
    { id: 'r1', infer: async () => (clock.advance(n < 10 ? 20 : n < 20 ? 8 : 1.3), n++, { ok: true }) },
    clock,
    { ...WARMUP, roundRequests: 10, minRounds: 3 },
  );
  assert.deepEqual([r.settled, r.requests, r.settledMs!.toFixed(2)], [true, 40, '1.30']);
  // A round cut short by the time limit is not compared (6 requests of 1 s, 5 s limit).
  const cut = await warmReplica({ id: 'r3', infer: async () => (clock.advance(1000), { ok: true }) }, clock, {
    ...WARMUP,
    roundRequests: 10,
  });
  assert.deepEqual([cut.settled, cut.requests, cut.settledMs], [false, 5, 1000]);
  const failing = await warmReplica({ id: 'r2', infer: async () => ({ ok: false, error: 'answered 500' }) }, clock);
  assert.deepEqual([failing.settled, failing.requests, failing.error], [false, 1, 'answered 500']);
  const meta = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2, 3] }] });
  assert.deepEqual(JSON.parse(warmupBody(meta)!), {
    inputs: [{ name: 'x', shape: [1, 2, 3], datatype: 'FP32', data: [0, 0, 0, 0, 0, 0] }],
  });
  assert.equal(warmupBody(JSON.stringify({ inputs: [{ name: 's', datatype: 'BYTES', shape: [1] }] })), undefined);
  assert.equal(warmupBody('not json'), undefined);
});

test('--steps: increasing shares ending at 100%', () => {
  assert.deepEqual(parseStepsPercent('10%,50%,100%'), [10, 50, 100]);
  assert.throws(() => parseStepsPercent('50%,10%,100%'), /steps must increase, got 50% then 10%/);
  assert.throws(() => parseStepsPercent('10%,50%'), /the last step must be 100%/);
  assert.throws(() => parseStepsPercent('10,100%'), /expected shares such as/);
});

test('judge: ratios only where both versions carry about the same rate a replica (else load, not the version, is measured)', () => {
  const s = paired(version(18, 12, 38, 1.3), version(19, 12, 13, 1.3, 1.5));
  const unmatched = judgeStep({ ...s, perReplicaRps: { old: 38, new: 13 } }, rules);
  assert.equal(call(unmatched, 'p50').outcome, 'unjudged');
  assert.match(callLine(call(unmatched, 'p50')), /^p50 not judged \(load differs: 13 vs 38 req\/s a replica\)$/);
  // Running on would not change the load: with samples enough for a p50, the step passes on what
  // could be judged (here the error rate), and says the ratios were not judged.
  assert.equal(unmatched.outcome, 'pass');
  // With targets set, those are judged whatever the load.
  const withTarget = judgeStep(
    { ...s, perReplicaRps: { old: 38, new: 13 } },
    { slo: { p50Ms: 50 }, maxRegression: 0.2 },
  );
  assert.equal(withTarget.outcome, 'pass');
  // Matched within 1.5x: the ratio is judged (and 1.5x slower fails).
  assert.equal(judgeStep({ ...s, perReplicaRps: { old: 20, new: 14 } }, rules).outcome, 'fail');
});

test('judge: the floor: a ratio beyond the limit is a regression only when the difference in ms is beyond the floor too', () => {
  const slow = (medianMs: number, seed: number) =>
    judgeStep(paired(version(seed, 36, 38, medianMs), version(seed + 1, 36, 13, medianMs, 1.3)), {
      slo: {},
      maxRegression: 0.2,
    });
  // 30% slower at 1.3 ms is 0.4 ms: under the 5 ms floor, a pass (a fresh replica's own slowness is as large).
  const fast = call(slow(1.3, 20), 'p50');
  assert.equal(fast.outcome, 'pass', callLine(fast));
  assert.match(
    callLine(fast),
    /^p50 1\.\d\dx \[\d\.\d\d, \d\.\d\d\] \(\+0\.\d\d ms on 1\.\d\d ms, floor 5 ms\), allowed 1\.20$/,
  );
  // 30% slower at 30 ms is 9 ms: beyond both, a fail.
  assert.equal(call(slow(30, 22), 'p50').outcome, 'fail');
});
