// What is in force in a running cluster: one object, a change signal, and the parts that follow it
// (the probe period, the autoscaler's policy, the controller's metrics) instead of keeping the
// profile they started with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import type { ClusterStatus } from '../../src/common/cluster-status.js';
import { defaultProfile } from '../../src/profile/defaults.js';
import { InForce } from '../../src/cluster/in-force.js';
import { probeEvery } from '../../src/cluster/replicas/probe-timer.js';
import { policyInForce } from '../../src/cluster/replicas/policy-in-force.js';
import { AutoscaleLoop } from '../../src/cluster/autoscale/loop.js';
import { ControllerMetrics } from '../../src/cluster/monitoring/controller-metrics.js';

const market = defaultProfile({ name: 'market-hours', replicas: { min: 5, max: 30, initial: 5 } });
const offHours = defaultProfile({ name: 'off-hours', replicas: { min: 2, max: 10, initial: 2 } });

test('a change is seen by listeners first, then by waiters; the previous profile is handed back', async () => {
  const f = new InForce(market, 1, 'trading-day');
  assert.equal(f.name, 'trading-day');
  const seen: string[] = [];
  f.onChange((c) => seen.push(`${c.what} from ${c.previous.name} to ${f.profile.name}@${f.modelVersion}`));
  const woke = f.next().then(() => seen.push('waiter'));
  assert.equal(f.setProfile(offHours), market);
  await woke;
  f.adoptVersion(2);
  f.adoptVersion(2); // the same version again changes nothing
  assert.deepEqual(seen, [
    'profile from market-hours to off-hours@1',
    'waiter',
    'modelVersion from off-hours to off-hours@2',
  ]);
});

test('probes follow the probe period of the profile in force, and stop', () => {
  const clock = new ManualClock();
  const f = new InForce(defaultProfile({ health: { periodMs: 200 } }), 1);
  let probes = 0;
  const stop = probeEvery(f, clock, () => void probes++);
  clock.advance(1000);
  assert.equal(probes, 5);
  // A live batching change keeps the period: the probes go on in step.
  f.setProfile({ ...f.profile, batching: { ...f.profile.batching, maxBatchSize: 8 } });
  clock.advance(1000);
  assert.equal(probes, 10);
  f.setProfile(defaultProfile({ health: { periodMs: 500 } }));
  clock.advance(1000);
  assert.equal(probes, 12);
  stop();
  clock.advance(5000);
  assert.equal(probes, 12);
});

test("the autoscaler's policy follows a switch (the prewarm floor ends) but not a live batching change", () => {
  const clock = new ManualClock();
  const f = new InForce(market, 1);
  const loop = new AutoscaleLoop(f, {
    clock,
    target: { desired: 5, ready: 5, rolling: false, setReplicas() {}, sampleLoad: () => Promise.resolve(undefined) },
    gatewayMetrics: () => Promise.resolve(undefined),
    log: { debug() {}, info() {}, warn() {}, error() {} } as never,
    emit() {},
  });
  loop.setFloor(8);
  f.setProfile({ ...market, batching: { ...market.batching, batchWaitMs: 2 } });
  assert.equal(loop.floor, 8, 'a live batching change keeps the prewarm');
  f.setProfile(offHours);
  assert.equal(loop.floor, undefined, 'the switch ends the prewarm');
  loop.stop();
});

test("the controller's metrics give the bounds and resources of the profile in force, not the first one", async () => {
  const f = new InForce(market, 1);
  const status = {
    replicas: [],
    desiredReplicas: 5,
    autoscaling: { enabled: true, paused: false },
    profile: { name: f.profile.name },
    model: { name: 'm', version: 1 },
    gateway: { restarts: 0 },
  };
  const metrics = new ControllerMetrics(
    () => status as unknown as ClusterStatus,
    () => f.profile,
  );
  assert.match(await metrics.text(), /serve_controller_replicas_max 30\b/);
  f.setProfile(offHours);
  const text = await metrics.text();
  assert.match(text, /serve_controller_replicas_min 2\b/);
  assert.match(text, /serve_controller_replicas_max 10\b/);
});

test("a supervised child's policy is read from the profile in force; pinned fields stay", () => {
  const f = new InForce(defaultProfile({ health: { failureThreshold: 3, startupTimeoutMs: 10_000 } }), 1);
  const replicas = policyInForce(f);
  const gateway = policyInForce(f, { failureThreshold: 1, failFastBeforeFirstReady: true });
  f.setProfile(defaultProfile({ health: { failureThreshold: 5, startupTimeoutMs: 20_000 } }));
  assert.equal(replicas.failureThreshold, 5);
  assert.equal(replicas.startupTimeoutMs, 20_000);
  assert.equal(gateway.failureThreshold, 1);
  assert.equal(gateway.failFastBeforeFirstReady, true);
  assert.equal(gateway.startupTimeoutMs, 20_000);
});
