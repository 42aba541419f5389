import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { Autoscaler, desiredReplicas, type AutoscalingConfig } from '../../src/cluster/autoscaler.js';
import { inFlightFromMetrics } from '../../src/cluster/metrics-parse.js';

// market-hours numbers: 5..30 replicas, 3 in flight each, 15 s up, 120 s down.
const cfg: AutoscalingConfig = {
  minReplicas: 5, maxReplicas: 30, targetOngoingRequests: 3, upscaleDelayMs: 15_000, downscaleDelayMs: 120_000, lookbackMs: 10_000,
};

test('desired = ceil(in-flight / target), clamped to min and max', () => {
  assert.equal(desiredReplicas(cfg, 0), 5);
  assert.equal(desiredReplicas(cfg, 30), 10);
  assert.equal(desiredReplicas(cfg, 31), 11);
  assert.equal(desiredReplicas(cfg, 1000), 30);
});

test('upscale applies only after the decision held for the upscale delay', () => {
  const clock = new ManualClock();
  const a = new Autoscaler(cfg, clock);
  for (let t = 0; t < 15_000; t += 1000) {
    a.observe(30);
    const d = a.decide(5)!;
    assert.equal(d.desiredReplicas, 10);
    assert.equal(d.applyReplicas, undefined, `not yet at ${t} ms`);
    clock.advance(1000);
  }
  a.observe(30);
  assert.equal(a.decide(5)!.applyReplicas, 10);
});

test('a dip resets the upscale timer', () => {
  const clock = new ManualClock();
  const a = new Autoscaler({ ...cfg, lookbackMs: 0 }, clock);
  a.observe(30);
  a.decide(5);
  clock.advance(10_000);
  a.observe(15);
  assert.equal(a.decide(5)!.desiredReplicas, 5);
  clock.advance(10_000);
  a.observe(30);
  assert.equal(a.decide(5)!.applyReplicas, undefined, 'only 0 s of the new decision so far');
  clock.advance(15_000);
  a.observe(30);
  assert.equal(a.decide(5)!.applyReplicas, 10);
});

test('downscale waits for the longer downscale delay and averages over the lookback', () => {
  const clock = new ManualClock();
  const a = new Autoscaler(cfg, clock);
  // Average of 6 and 0 within the lookback is 3 -> one replica's worth, clamped to min 5.
  a.observe(6);
  clock.advance(1000);
  a.observe(0);
  const first = a.decide(8)!;
  assert.equal(first.averageInFlight, 3);
  assert.equal(first.desiredReplicas, 5);
  clock.advance(119_000);
  a.observe(0);
  assert.equal(a.decide(8)!.applyReplicas, undefined);
  clock.advance(1000);
  a.observe(0);
  assert.equal(a.decide(8)!.applyReplicas, 5);
});

test('no samples within the lookback means no decision', () => {
  const clock = new ManualClock();
  const a = new Autoscaler(cfg, clock);
  assert.equal(a.decide(5), undefined);
  a.observe(100);
  clock.advance(10_001);
  assert.equal(a.decide(5), undefined);
});

test('in-flight is read from any serve_*in_flight* gauge, summing labels', () => {
  const text = [
    '# HELP serve_replica_in_flight requests being handled',
    '# TYPE serve_replica_in_flight gauge',
    'serve_replica_in_flight{model="demo"} 3',
    'serve_replica_in_flight{model="other"} 2',
    'serve_replica_in_flight_seconds_bucket{le="1"} 99',
    'serve_requests_total 1000',
  ].join('\n');
  assert.equal(inFlightFromMetrics(text), 5);
  assert.equal(inFlightFromMetrics('serve_requests_total 3\n'), undefined);
});
