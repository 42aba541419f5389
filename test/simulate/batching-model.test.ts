// The simulator models the batcher the profile runs (batching.mode, max_batch_size,
// batch_wait_timeout, max_queued_requests, with the replica's own rule from common/batching/) and
// samples load as the controller's scrapes read it on average (time-averaged gauges, not the same
// phase of evenly spaced arrivals every time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile } from '../../src/profile/defaults.js';
import type { Profile } from '../../src/profile/types.js';
import { simulate } from '../../src/simulate/cluster-model.js';
import { parseServiceTime } from '../../src/simulate/service-time.js';

type Mode = Profile['batching']['mode'];
const rates = (...steps: Array<[seconds: number, ratePerSec: number]>) =>
  steps.flatMap(([n, rate]) => new Array<number>(n).fill(rate));

/**
 * The issue's cluster: 1-2 single-CPU replicas, target 1 in flight, up after 10 s, down after 30 s,
 * everything else the defaults (metrics every 1 s, look back 10 s, batches of 32 within 10 ms).
 */
const issueProfile = (mode: Mode) =>
  defaultProfile({
    replicas: { min: 1, max: 2, initial: 1 },
    autoscaling: { enabled: true, targetOngoingRequests: 1, upscaleDelayMs: 10_000, downscaleDelayMs: 30_000 },
    batching: { mode },
  });
/** No handling time, evenly spaced arrivals: the known answers below are the batcher's alone. */
const sessionOnly = { handlingMs: 0, arrivals: 'even' } as const;
// A small model whose run is mostly per-request cost: 2 ms for one row, 4 ms for 8, 12 ms for 32.
const small = parseServiceTime('1:2ms,8:4ms,32:12ms');

test('adaptive batching (the default) runs a lone request at once; fixed waits the window, and scales where adaptive does not', () => {
  assert.equal(defaultProfile().batching.mode, 'adaptive');
  const trace = { ratePerSec: rates([60, 40], [90, 250], [90, 40]), source: 'issue' };
  // The session alone (no handling time, evenly spaced arrivals): the batch modes' own difference.
  const run = (mode: Mode) =>
    simulate({ profile: issueProfile(mode), trace, serviceTime: small, startupMs: 2000, ...sessionOnly });
  const adaptive = run('adaptive');
  const fixed = run('fixed');
  // At 40 req/s every request is alone: adaptive runs it at once (2 ms), fixed waits 10 ms first.
  const firstMinute = (r: typeof adaptive) => r.summary.minutes[0]!;
  assert.ok(firstMinute(adaptive).p50Ms <= 2.5, `adaptive p50 ${firstMinute(adaptive).p50Ms}`);
  assert.ok(firstMinute(fixed).p50Ms >= 11.9, `fixed p50 ${firstMinute(fixed).p50Ms}`);
  // At 250 req/s fixed mode keeps ~2.5 in flight (each waits for company): over the target of 1,
  // it scales up after the delay; adaptive keeps well under 1 and never scales, as the live
  // cluster did (peak 1, 240 replica-seconds).
  assert.deepEqual(adaptive.decisions, [], JSON.stringify(adaptive.decisions));
  assert.equal(adaptive.summary.maxReplicas, 1);
  const spent = (r: typeof adaptive) => r.seconds.reduce((a, s) => a + s.replicaSeconds, 0);
  assert.ok(Math.abs(spent(adaptive) - 240) < 1e-6, `adaptive ${spent(adaptive)} replica-seconds`);
  const up = fixed.decisions.find((d) => d.to > d.from);
  assert.ok(up && up.second >= 70 && up.second <= 80, `fixed scaled up at ${up?.second}`);
  assert.ok(spent(fixed) > 300, `fixed ${spent(fixed)} replica-seconds`);
  const peak = (r: typeof adaptive, from: number, to: number) =>
    Math.max(...r.ticks.filter((t) => t.second > from && t.second <= to).map((t) => t.inFlight));
  assert.ok(peak(adaptive, 70, 150) < 1, `adaptive in flight up to ${peak(adaptive, 70, 150)}`);
  assert.ok(peak(fixed, 62, 75) > 1.5, `fixed in flight up to ${peak(fixed, 62, 75)}`);
});

test('max_batch_size and batch_wait_timeout shape the latency: fixed mode waits exactly the window for a lone request, adaptive not at all', () => {
  const trace = { ratePerSec: rates([10, 10]), source: 't' };
  const p99 = (batching: Partial<Profile['batching']>) =>
    simulate({
      profile: defaultProfile({ replicas: { min: 1, max: 1, initial: 1 }, batching: { mode: 'fixed', ...batching } }),
      trace,
      serviceTime: parseServiceTime('5ms'),
      startupMs: 0,
      ...sessionOnly,
    }).summary.p99Ms;
  assert.equal(p99({ batchWaitMs: 20 }), 25);
  assert.equal(p99({ batchWaitMs: 3 }), 8);
  // A batch of one is full at once: nothing waits.
  assert.equal(p99({ batchWaitMs: 20, maxBatchSize: 1 }), 5);
  assert.equal(p99({ batchWaitMs: 20, mode: 'adaptive' }), 5);
});

test('a replica queue over max_queued_requests answers 503; the gateway retries once elsewhere, then fails the request', () => {
  // Two replicas, 10 ms a batch of up to 4: 800 req/s together. 1000 req/s for 3 s: the gateway
  // sends up to 64 to each replica, so with a short replica queue the rest is refused at once.
  const run = (maxQueuedRequests: number) =>
    simulate({
      profile: defaultProfile({
        replicas: { min: 2, max: 2, initial: 2 },
        batching: { mode: 'fixed', maxBatchSize: 4, batchWaitMs: 2, maxQueuedRequests },
        gateway: { requestTimeoutMs: 8000, maxQueuedRequests: 10_000 },
      }),
      trace: { ratePerSec: rates([3, 1000]), source: 't' },
      serviceTime: parseServiceTime('10ms'),
      startupMs: 0,
    });
  assert.equal(run(256).summary.failed, 0);
  const short = run(4);
  assert.ok(short.summary.failed > 100, `${short.summary.failed} failed`);
  // Refused at once, not after the 8 s timeout: failures land in the seconds of the overload.
  assert.ok(short.seconds[0]!.failed > 0, JSON.stringify(short.seconds.map((s) => s.failed)));
});

test('the sampled in-flight signal is the time average, not the same instant of evenly spaced arrivals each time', () => {
  // 40 req/s on two replicas, a request alone taking 8 ms (a model plus the HTTP work of a live
  // replica): by Little's law 40/s × 8 ms = 0.32 requests in flight on average, which is what the
  // live controller's scrapes read on average (each reads one instant; the live figures were
  // 0.25-0.6). Read at whole seconds, the simulated gauge saw the instant between two arrivals
  // (both answered) every time: 0.0.
  const r = simulate({
    profile: defaultProfile({
      replicas: { min: 2, max: 2, initial: 2 },
      autoscaling: { enabled: true, targetOngoingRequests: 1 },
    }),
    trace: { ratePerSec: rates([30, 40]), source: 't' },
    serviceTime: parseServiceTime('1:8ms,32:40ms'),
    startupMs: 0,
    ...sessionOnly,
  });
  assert.equal(r.ticks.length, 29);
  for (const t of r.ticks) {
    assert.ok(Math.abs(t.inFlight - 0.32) < 0.01, `in flight ${t.inFlight} at ${t.second}s`);
    assert.ok(t.signal >= 0.25 && t.signal <= 0.6, `signal ${t.signal} at ${t.second}s`);
  }
  assert.deepEqual(r.decisions, []);
});
