// A simulated replica's per-request handling (simulate, handlingMs): main-thread time outside the
// session, one request at a time before the batch queue, counted in flight (the span of
// serve_replica_in_flight). Known answers: a burst is handled in turn; with evenly spaced arrivals
// the in-flight mean is rate × (handling + run) (Little's law, no queueing); with random arrivals the
// handling stage is an M/D/1 queue, whose mean number in the system is rho + rho^2 / (2 (1 - rho)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { defaultProfile } from '../../src/profile/defaults.js';
import { Arrivals } from '../../src/simulate/arrivals.js';
import { simulate } from '../../src/simulate/cluster-model.js';
import { SimReplica, type SimRequest } from '../../src/simulate/replica-model.js';
import { costCurveOf, parseServiceTime, serviceMs } from '../../src/simulate/service-time.js';
import { DEFAULT_ARRIVALS, DEFAULT_HANDLING_MS } from '../../src/simulate/simulation.js';

const rates = (...steps: Array<[seconds: number, ratePerSec: number]>) =>
  steps.flatMap(([n, rate]) => new Array<number>(n).fill(rate));
const tiny = parseServiceTime('0.001ms');

/** One replica, no autoscaling, adaptive batching: the mean in flight over the run's samples. */
function meanInFlight(ratePerSec: number, seconds: number, handlingMs: number, arrivals: 'even' | 'random') {
  const r = simulate({
    profile: defaultProfile({ replicas: { min: 1, max: 1, initial: 1 }, autoscaling: { enabled: false } }),
    trace: { ratePerSec: rates([seconds, ratePerSec]), source: 't' },
    serviceTime: tiny,
    startupMs: 0,
    handlingMs,
    arrivals,
  });
  assert.equal(r.summary.failed, 0);
  // Skip the first 10 s (the queue fills from empty).
  const ticks = r.ticks.filter((t) => t.second > 10);
  return { mean: ticks.reduce((a, t) => a + t.inFlight, 0) / ticks.length, result: r };
}

test('requests that arrive together are handled one at a time, each then batched and run', () => {
  const clock = new ManualClock(0);
  const answered: number[] = [];
  const m = parseServiceTime('1ms');
  const rep = new SimReplica(1, {
    clock,
    mode: 'adaptive',
    maxBatchSize: 32,
    batchWaitMs: 10,
    maxQueuedRequests: 64,
    serviceMs: (rows) => serviceMs(m, rows),
    handlingMs: 2,
    curve: costCurveOf(m),
    budgetMs: 10_000,
    onDone: (_r, done) => answered.push(...done.map(() => clock.nowMs())),
    onExpired: () => assert.fail('expired'),
    onRefused: () => assert.fail('refused'),
  });
  rep.phase = 'ready';
  for (let i = 0; i < 3; i++) rep.submit({ arrivedMs: 0 } as SimRequest);
  assert.equal(rep.inFlight, 3);
  assert.equal(rep.queued, 0);
  clock.set(100);
  // Handled at 2, 4 and 6 ms; each then runs alone (the next is still being handled) for 1 ms.
  assert.deepEqual(answered, [3, 5, 7]);
  assert.equal(rep.inFlight, 0);
  // In flight: 3 until the first answer at 3 ms, 2 until 5 ms, 1 until 7 ms, then 0.
  assert.equal(rep.inFlightLevel.takeArea(100), 3 * 3 + 2 * 2 + 1 * 2);
});

test('evenly spaced arrivals do not queue for the main thread: in flight is rate × (handling + run)', () => {
  for (const [rate, h] of [
    [40, 0.75],
    [250, 0.75],
    [250, 3],
  ] as const) {
    const { mean } = meanInFlight(rate, 40, h, 'even');
    const expected = (rate * (h + 0.001)) / 1000;
    assert.ok(Math.abs(mean - expected) < 0.002, `${rate} req/s, ${h} ms: ${mean} vs ${expected}`);
  }
});

test('random arrivals queue for the main thread as M/D/1 does: rho + rho^2 / (2 (1 - rho))', () => {
  for (const [rate, h] of [
    [250, 2],
    [250, 3],
    [150, 4],
  ] as const) {
    const rho = (rate * h) / 1000;
    const expected = rho + (rho * rho) / (2 * (1 - rho));
    const { mean } = meanInFlight(rate, 300, h, 'random');
    assert.ok(
      Math.abs(mean - expected) / expected < 0.06,
      `${rate} req/s, ${h} ms: ${mean.toFixed(3)} vs ${expected.toFixed(3)}`,
    );
  }
  // No handling: the run alone (0.001 ms) is all that is in flight.
  assert.ok(meanInFlight(250, 30, 0, 'random').mean < 0.001);
});

test('handling time makes the adaptive step scale where the session alone does not', () => {
  // The cluster and step; the session's run is the demo model's (0.16 ms alone).
  const profile = defaultProfile({
    replicas: { min: 1, max: 2, initial: 1 },
    autoscaling: { enabled: true, targetOngoingRequests: 1, upscaleDelayMs: 10_000, downscaleDelayMs: 30_000 },
    batching: { mode: 'adaptive' },
  });
  const demo = parseServiceTime('1:0.16ms,2:0.2ms,4:0.32ms,8:0.57ms,16:1.03ms,32:2.03ms');
  const trace = { ratePerSec: rates([60, 40], [90, 250], [90, 40]), source: 'step' };
  const run = (handlingMs: number) => simulate({ profile, trace, serviceTime: demo, startupMs: 1500, handlingMs });
  const none = run(0);
  const light = run(DEFAULT_HANDLING_MS);
  const shared = run(3.4);
  assert.deepEqual(none.decisions, []);
  assert.deepEqual(light.decisions, []);
  const up = shared.decisions.find((d) => d.to === 2);
  const down = shared.decisions.find((d) => d.to === 1);
  assert.ok(up && up.second > 60 && up.second <= 80, `up at ${up?.second}`);
  assert.ok(down && down.second > 150 && down.second <= 200, `down at ${down?.second}`);
  // Deterministic: the random arrivals come from a fixed seed.
  assert.deepEqual(run(3.4).decisions, shared.decisions);
});

test('arrival patterns: even splits the second, random keeps the count and stays within it', () => {
  assert.deepEqual(new Arrivals('even').offsetsMs(4), [125, 375, 625, 875]);
  const r = new Arrivals('random').offsetsMs(1000);
  assert.equal(r.length, 1000);
  assert.ok(r.every((x, i) => x >= 0 && x < 1000 && (i === 0 || x >= r[i - 1]!)));
  // Uniform: about a quarter in each quarter of the second.
  for (let q = 0; q < 4; q++) {
    const n = r.filter((x) => x >= q * 250 && x < (q + 1) * 250).length;
    assert.ok(n > 200 && n < 300, `quarter ${q}: ${n}`);
  }
  assert.equal(DEFAULT_ARRIVALS, 'random');
});
