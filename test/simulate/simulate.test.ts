// The simulator: traces and service times read right, and the queueing model with the real policy
// behaves as queueing says it should (Little's law, capacity, scale-up after delay plus start time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/common/errors.js';
import { simulate, simulateWithLatencies } from '../../src/simulate/cluster-model.js';
import { parseServiceTime, serviceMs } from '../../src/simulate/service-time.js';
import { parseTrace } from '../../src/simulate/trace.js';
import { testProfile } from '../cluster/helpers.js';

const profile = (over: Parameters<typeof testProfile>[1] = {}) =>
  testProfile('/r', {
    replicas: { min: 1, max: 6, initial: 1 },
    autoscaling: {
      enabled: true,
      targetOngoingRequests: 4,
      upscaleDelayMs: 2000,
      downscaleDelayMs: 5000,
      metricsIntervalMs: 200,
      lookbackMs: 1000,
      latencyGuard: false,
    },
    batching: { maxBatchSize: 8, batchWaitMs: 5, maxQueuedRequests: 64 },
    ...over,
  });

test('a CSV trace holds each rate until the next row; comments and a header are fine', () => {
  const t = parseTrace('# a step\nseconds,requests_per_second\n0,10\n3,50.5\n5,0\n', 'load.csv');
  assert.deepEqual(t.ratePerSec, [10, 10, 10, 50.5, 50.5, 0]);
  assert.throws(
    () => parseTrace('0,10\n0,20\n', 'x.csv'),
    (e: unknown) => e instanceof UserError && /x\.csv:2: seconds must increase/.test(e.message),
  );
  assert.throws(() => parseTrace('0,10\n1,ten\n', 'x.csv'), /x\.csv:2: expected "seconds,requests_per_second"/);
  assert.throws(() => parseTrace('', 'x.csv'), /holds no rows/);
});

test('a serve bench --json result is read from its per-second series (requests sent each second)', () => {
  const bench = JSON.stringify({
    schemaVersion: 1,
    series: [
      { second: 0, sent: 100, ok: 99, errors: 1 },
      { second: 2, sent: 300, ok: 300, errors: 0 },
    ],
  });
  assert.deepEqual(parseTrace(bench, 'day.json').ratePerSec, [100, 0, 300]);
  assert.throws(() => parseTrace('{"schemaVersion":1}', 'old.json'), /has no "series"/);
});

test('service times interpolate between measured batch sizes and extend past the last', () => {
  const m = parseServiceTime('1:2ms, 8:9ms, 32:21ms');
  assert.equal(serviceMs(m, 1), 2);
  assert.equal(serviceMs(m, 4), 5);
  assert.equal(serviceMs(m, 20), 15);
  assert.equal(serviceMs(m, 40), 25);
  assert.equal(serviceMs(parseServiceTime('20ms'), 7), 20);
  assert.throws(() => parseServiceTime('1:2ms,1:3ms'), /appears twice/);
  assert.throws(() => parseServiceTime('2ms,8:3ms'), /each needs its batch size/);
});

test("steady load below capacity: no scaling, no failure, latency of one batch window plus one run (Little's law)", () => {
  // 100 req/s, 10 ms per batch whatever its size, fixed batching: every request waits at most the
  // 5 ms window (or less, when it joins a batch that fills), then runs 10 ms.
  const r = simulate({
    profile: profile({ batching: { maxBatchSize: 8, batchWaitMs: 5, mode: 'fixed', maxQueuedRequests: 64 } }),
    trace: { ratePerSec: new Array(20).fill(100), source: 't' },
    serviceTime: parseServiceTime('10ms'),
    startupMs: 500,
  });
  assert.equal(r.decisions.length, 0);
  assert.equal(r.summary.failed, 0);
  assert.equal(r.summary.requests, 2000);
  assert.ok(r.summary.p99Ms > 10 && r.summary.p99Ms <= 25.5, `p99 ${r.summary.p99Ms}`);
  assert.deepEqual(new Set(r.seconds.map((s) => s.replicas)), new Set([1]));
  assert.ok(Math.abs(r.summary.replicaMinutes - 20 / 60) < 1e-6, `replica-minutes ${r.summary.replicaMinutes}`);
});

test('a step up scales after the upscale delay, and the new replicas serve after their start time', () => {
  // 100 req/s at 40 ms a batch keeps ~6 in flight (one replica: target 4 → 2 replicas); 400 req/s
  // keeps ~20 (5 replicas).
  const rate = [...new Array(10).fill(100), ...new Array(20).fill(400)];
  const r = simulate({
    profile: profile(),
    trace: { ratePerSec: rate, source: 't' },
    serviceTime: parseServiceTime('40ms'),
    startupMs: 1000,
  });
  const firstUp = r.decisions.find((d) => d.to > d.from)!;
  assert.ok(firstUp, 'it scaled up');
  assert.ok(firstUp.second >= 2 && firstUp.second <= 13, `first scale-up at ${firstUp.second}s`);
  assert.match(firstUp.reason, /signal .* per replica wants \d+: scaling up/);
  const atEnd = r.seconds.at(-1)!;
  assert.ok(atEnd.replicas >= 4 && atEnd.replicas <= 6, `${atEnd.replicas} replicas at the end`);
  assert.equal(atEnd.ready, atEnd.replicas, 'every replica asked for is ready by the end');
  // Deterministic: the same input gives the same run.
  assert.deepEqual(
    simulate({
      profile: profile(),
      trace: { ratePerSec: rate, source: 't' },
      serviceTime: parseServiceTime('40ms'),
      startupMs: 1000,
    }).decisions,
    r.decisions,
  );
});

test('overload a fixed count cannot carry shows as failures and missed minutes', () => {
  // One replica, 8 rows per 40 ms run: at most 200 req/s; 600 req/s overflows the gateway's queue.
  const fixed = profile({
    replicas: { min: 1, max: 1, initial: 1 },
    gateway: { maxQueuedRequests: 50, requestTimeoutMs: 500 },
    slo: { p99Ms: 100, errorRate: 0.01 },
  });
  const r = simulate({
    profile: fixed,
    trace: { ratePerSec: new Array(61).fill(600), source: 't' },
    serviceTime: parseServiceTime('40ms'),
    startupMs: 1000,
  });
  assert.ok(r.summary.failed > 10_000, `${r.summary.failed} failed`);
  assert.equal(r.summary.missedMinutes, 2);
  assert.match(r.summary.minutes[0]!.missed.join(' '), /^p99 .*ms > 100ms errors \d+\.\d+% > 1\.00%$/);
});

test('simulateWithLatencies gives every answered latency by second, the same run as simulate', () => {
  const input = {
    profile: profile(),
    trace: { ratePerSec: [20, 20, 60], source: 'test' },
    serviceTime: parseServiceTime('4ms'),
    startupMs: 500,
  };
  const { result, latenciesBySecond } = simulateWithLatencies(input);
  assert.deepEqual(result, simulate(input));
  assert.deepEqual(
    result.seconds.map((s) => latenciesBySecond[s.second]?.length ?? 0),
    result.seconds.map((s) => s.answered),
  );
  // A lone request at 20 req/s runs at once: its latency is the 4 ms run.
  assert.ok(
    latenciesBySecond[0]!.every((ms) => ms >= 4 && ms < 10),
    JSON.stringify(latenciesBySecond[0]),
  );
});
