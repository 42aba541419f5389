// The autoscaling policy on a manual clock, against table-driven load traces: steady, step up, step
// down, a short spike, oscillating load, the bounds, and the latency guard firing and not firing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { Autoscaler, decide, desiredReplicas } from '../../src/cluster/autoscale/autoscaler.js';
import type { AutoscalingConfig, LoadSample } from '../../src/cluster/autoscale/context.js';
import { deltaQuantileMs, histogramDelta, type LatencyDelta } from '../../src/cluster/autoscale/latency-window.js';
import {
  gatewayReading,
  inFlightFromMetrics,
  queueDepthFromMetrics,
} from '../../src/cluster/autoscale/metrics-parse.js';

// market-hours numbers: 5..30 replicas, 3 per replica, 15 s up, 120 s down, 10 s look-back.
const market: AutoscalingConfig = {
  minReplicas: 5,
  maxReplicas: 30,
  targetOngoingRequests: 3,
  upscaleDelayMs: 15_000,
  downscaleDelayMs: 120_000,
  lookbackMs: 10_000,
};
const guarded: AutoscalingConfig = { ...market, latencyGuard: { p99TargetMs: 100 } };

/** The gateway's buckets (ms). */
const bounds = [0.5, 1, 2.5, 5, 10, 25, 50, 80, 100, 200, 500, 1000, 2500];
/** `n` requests in one second, 98% at ~40 ms and 2% at `slowMs` (so p99 lands in slowMs's bucket). */
function latency(n: number, slowMs: number): LatencyDelta {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  const at = (ms: number) => bounds.findIndex((b) => ms <= b);
  counts[at(40)] += Math.round(n * 0.98);
  counts[at(slowMs) < 0 ? bounds.length : at(slowMs)] += n - Math.round(n * 0.98);
  return { boundsMs: bounds, counts };
}

interface Point {
  inFlight: number;
  queued?: number;
  latency?: LatencyDelta;
}

/**
 * Runs the policy once a second for `seconds` on a manual clock, load from `trace(t)`, starting at
 * `start` replicas and applying every decision; returns the changes as [second, from, to].
 */
function run(
  cfg: AutoscalingConfig,
  start: number,
  seconds: number,
  trace: (t: number) => Point,
): Array<[number, number, number]> {
  const clock = new ManualClock();
  const a = new Autoscaler(cfg, clock);
  let current = start;
  const changes: Array<[number, number, number]> = [];
  for (let t = 0; t <= seconds; t++) {
    a.observe({ queued: 0, ...trace(t) });
    const d = a.decide(current);
    if (d?.applyReplicas !== undefined) {
      changes.push([t, current, d.applyReplicas]);
      current = d.applyReplicas;
    }
    clock.advance(1000);
  }
  return changes;
}

const cases: Array<{
  name: string;
  cfg: AutoscalingConfig;
  start: number;
  seconds: number;
  trace: (t: number) => Point;
  want: Array<[number, number, number]>;
}> = [
  {
    name: 'steady load at target: no change',
    cfg: market,
    start: 5,
    seconds: 300,
    trace: () => ({ inFlight: 15 }),
    want: [],
  },
  {
    // From t=20 the window's average climbs; desired first exceeds 5 at t=20 and the upscale holds 15 s.
    name: 'step up 15 -> 45 in flight at t=20: up after the upscale delay, to what the window says then',
    cfg: market,
    start: 5,
    seconds: 60,
    trace: (t) => ({ inFlight: t < 20 ? 15 : 45 }),
    want: [[35, 5, 15]],
  },
  {
    // The window's average falls below 42 (14 replicas' worth) at t=21; 120 s later it goes down.
    name: 'step down 45 -> 15 at t=20: down after the downscale delay',
    cfg: market,
    start: 15,
    seconds: 200,
    trace: (t) => ({ inFlight: t < 20 ? 45 : 15 }),
    want: [[141, 15, 5]],
  },
  {
    name: 'requests queued at the gateway count like requests in flight',
    cfg: market,
    start: 5,
    seconds: 40,
    trace: (t) => ({ inFlight: 15, queued: t < 10 ? 0 : 15 }),
    want: [[25, 5, 10]],
  },
  {
    // A spike lifts the window's average for its length plus the look-back: 4 s + 10 s < 15 s.
    name: 'a spike shorter than the upscale delay (minus the look-back): no change',
    cfg: market,
    start: 5,
    seconds: 120,
    trace: (t) => ({ inFlight: t >= 30 && t < 34 ? 300 : 15 }),
    want: [],
  },
  {
    // 40 and 20 in turn every 10 s: the window's average swings around 30 (= 10 replicas' worth),
    // never holding one direction for 15 s up or 120 s down.
    name: 'oscillating load around the current count: no flapping',
    cfg: market,
    start: 10,
    seconds: 600,
    trace: (t) => ({ inFlight: Math.floor(t / 10) % 2 === 0 ? 40 : 20 }),
    want: [],
  },
  {
    name: 'a flood is capped at replicas.max',
    cfg: market,
    start: 5,
    seconds: 30,
    trace: () => ({ inFlight: 10_000 }),
    want: [[15, 5, 30]],
  },
  {
    name: 'no load is floored at replicas.min',
    cfg: market,
    start: 12,
    seconds: 130,
    trace: () => ({ inFlight: 0 }),
    want: [[120, 12, 5]],
  },
  {
    // The count alone wants 5 (15 / 3); the guard adds one replica per upscale delay, and waits a
    // look-back after each scale-up so the next window is measured with the new count.
    name: 'latency guard fires: p99 over target with requests queued adds one replica at a time',
    cfg: guarded,
    start: 5,
    seconds: 45,
    trace: () => ({ inFlight: 15, queued: 2, latency: latency(200, 150) }),
    want: [
      [15, 5, 6],
      [40, 6, 7],
    ],
  },
  {
    name: 'latency guard: p99 over target but nothing queued (a slow model): no change',
    cfg: guarded,
    start: 5,
    seconds: 60,
    trace: () => ({ inFlight: 15, latency: latency(200, 150) }),
    want: [],
  },
  {
    name: 'latency guard: requests queued but p99 within target: no change',
    cfg: guarded,
    start: 5,
    seconds: 60,
    trace: () => ({ inFlight: 12, queued: 2, latency: latency(200, 90) }),
    want: [],
  },
  {
    name: 'latency guard: too few requests to judge: no change',
    cfg: guarded,
    start: 5,
    seconds: 60,
    trace: () => ({ inFlight: 12, queued: 2, latency: latency(1, 150) }),
    want: [],
  },
  {
    name: 'latency guard off: the count decides alone',
    cfg: market,
    start: 5,
    seconds: 60,
    trace: () => ({ inFlight: 15, queued: 0, latency: latency(200, 150) }),
    want: [],
  },
  {
    // After the guard's scale-up the count wants 5 again; p99 at ~90 ms (over 80% of 100) holds 6,
    // and only once the window's p99 is under 80 ms (t=105, five seconds of fast samples) does the
    // downscale delay start.
    name: 'latency guard hysteresis: no scale-down while p99 is above 80% of target',
    cfg: guarded,
    start: 6,
    seconds: 300,
    trace: (t) => ({ inFlight: 12, latency: t < 100 ? latency(200, 90) : latency(200, 45) }),
    want: [[225, 6, 5]],
  },
];

for (const c of cases) {
  test(`policy: ${c.name}`, () => {
    assert.deepEqual(run(c.cfg, c.start, c.seconds, c.trace), c.want);
  });
}

test('desired = ceil(signal / target), clamped to min and max', () => {
  assert.equal(desiredReplicas(market, 0), 5);
  assert.equal(desiredReplicas(market, 30), 10);
  assert.equal(desiredReplicas(market, 31), 11);
  assert.equal(desiredReplicas(market, 1000), 30);
});

test('decide is a pure function of its context: same context, same decision, state returned not kept', () => {
  const samples: LoadSample[] = [
    { atMs: 9000, inFlight: 30, queued: 6 },
    { atMs: 10_000, inFlight: 30, queued: 6 },
  ];
  const ctx = { nowMs: 10_000, currentReplicas: 5, samples, config: market, state: { upSinceMs: 0 } };
  const a = decide(ctx);
  assert.deepEqual(decide(ctx), a);
  assert.equal(a.signal, 36);
  assert.equal(a.desiredReplicas, 12);
  assert.equal(a.action, 'up');
  assert.match(a.reason, /signal 36\.0 \(in flight 30\.0 \+ queued 6\.0\) \/ 3 per replica wants 12: 5 -> 12 in 5\.0s/);
  assert.deepEqual(ctx.state, { upSinceMs: 0 });
  const later = decide({ ...ctx, nowMs: 15_000, samples: [{ atMs: 15_000, inFlight: 30, queued: 6 }], state: a.state });
  assert.equal(later.applyReplicas, 12);
  assert.equal(later.state.lastUpMs, 15_000);
});

test('no samples within the look-back: no decision', () => {
  const clock = new ManualClock();
  const a = new Autoscaler(market, clock);
  assert.equal(a.decide(5), undefined);
  a.observe(100);
  clock.advance(10_001);
  assert.equal(a.decide(5), undefined);
});

test('the window p99 comes from histogram deltas between scrapes', () => {
  const text = (n10: number, n100: number, inf: number) =>
    [
      '# TYPE serve_gateway_queued_requests gauge',
      'serve_gateway_queued_requests 4',
      `serve_gateway_request_duration_seconds_bucket{le="0.01"} ${n10}`,
      `serve_gateway_request_duration_seconds_bucket{le="0.1"} ${n100}`,
      `serve_gateway_request_duration_seconds_bucket{le="+Inf"} ${inf}`,
      `serve_gateway_request_duration_seconds_count ${inf}`,
    ].join('\n');
  const first = gatewayReading(text(100, 100, 100))!;
  const second = gatewayReading(text(190, 198, 200))!;
  assert.equal(second.queued, 4);
  assert.deepEqual(second.latency, { boundsMs: [10, 100], cumulative: [190, 198, 200] });
  const delta = histogramDelta(first.latency, second.latency!)!;
  assert.deepEqual(delta.counts, [90, 8, 2]);
  assert.equal(deltaQuantileMs(delta, 0.5), (10 * 50) / 90);
  assert.equal(deltaQuantileMs(delta, 0.99), 100, 'in the +Inf bucket: the highest bound');
  assert.equal(
    histogramDelta(second.latency, first.latency!),
    undefined,
    'a restarted gateway (counters went back) gives no delta',
  );
});

test('in-flight and queue depth are read from any serve_*in_flight* gauge, summing labels', () => {
  const text = [
    '# HELP serve_replica_in_flight requests being handled',
    '# TYPE serve_replica_in_flight gauge',
    'serve_replica_in_flight{model="demo"} 3',
    'serve_replica_in_flight{model="other"} 2',
    'serve_replica_in_flight_seconds_bucket{le="1"} 99',
    'serve_replica_queue_depth{model="demo"} 7',
    'serve_requests_total 1000',
  ].join('\n');
  assert.equal(inFlightFromMetrics(text), 5);
  assert.equal(queueDepthFromMetrics(text), 7);
  assert.equal(inFlightFromMetrics('serve_requests_total 3\n'), undefined);
});
