// The small rules of `serve tune` (pure): when a measurement is stable, overloaded or unstable; the
// verdict and score of a measurement; the space from flags, the profile and the host, and the points
// a profile cannot hold; cost per hour and per million; ranking, the recommendation's reason and the
// closest candidate when nothing passed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeWindows, withinBand } from '../../src/tune/stability.js';
import { judge, latencyTargets } from '../../src/tune/verdict.js';
import { buildSpace, exclusion, grid, startPoint } from '../../src/tune/space.js';
import { compareCost, costOf } from '../../src/tune/cost.js';
import { outcome } from '../../src/tune/rank.js';
import { defaultProfile } from '../../src/profile/defaults.js';
import type { Candidate, TuneConfig } from '../../src/tune/types.js';
import { fakeProbe } from './fake-landscape.js';

const w = (achievedPerSec: number, p99Ms: number, requestedPerSec = 100) => ({
  achievedPerSec,
  p99Ms,
  requestedPerSec,
});

test('stable: the last three windows within 10% (or 1 ms) on rate and p99; overloaded after two slow windows; else unstable at the limit', () => {
  assert.equal(judgeWindows([w(100, 10), w(99, 10.5)], 6), 'more', 'two windows are not enough');
  assert.equal(
    judgeWindows([w(50, 80), w(100, 10), w(99, 10.5), w(101, 9.8)], 6),
    'stable',
    'only the last three count',
  );
  assert.equal(judgeWindows([w(100, 2.0), w(100, 2.9), w(100, 2.4)], 6), 'stable', 'p99 within 1 ms of its mean');
  assert.equal(judgeWindows([w(100, 20), w(100, 30), w(100, 25)], 6), 'more', 'p99 30 ms is 20% over the mean');
  assert.equal(judgeWindows([w(70, 400), w(75, 900)], 6), 'overloaded');
  assert.equal(judgeWindows([w(100, 10), w(100, 30), w(100, 10), w(100, 30), w(100, 10), w(100, 30)], 6), 'unstable');
  assert.ok(withinBand([100, 109, 91], 0.1, 0));
  assert.ok(!withinBand([100, 125, 91], 0.1, 0));
});

test('the verdict checks every latency target, the error rate and that 90% of the rate was answered; the score ranks near misses', () => {
  const latency = { count: 1000, minMs: 1, meanMs: 5, p50Ms: 5, p90Ms: 8, p95Ms: 9, p99Ms: 12, p999Ms: 20, maxMs: 30 };
  const targets = { p50Ms: 50, p99Ms: 10, maxMs: 200, errorRate: 0.01, targetRps: 500, minRps: 50 };
  const v = judge({ ratePerSec: 100, achievedPerSec: 85, latency, errorRate: 0 }, targets);
  assert.equal(v.passed, false);
  assert.deepEqual(v.missed, ['p99 12.0ms > 10.0ms', 'answered 85.0 of 100.0 req/s (under 90%)']);
  assert.ok(Math.abs(v.score - 1.2) < 1e-9);
  assert.equal(
    judge({ ratePerSec: 100, achievedPerSec: 99, latency: { ...latency, p99Ms: 9 }, errorRate: 0 }, targets).passed,
    true,
  );
  assert.deepEqual(latencyTargets(targets), { p50Ms: 50, p99Ms: 10, maxMs: 200, errorRate: 0.01 });
});

test('the space: flags over the profile over host defaults; excluded points name the rule they break', () => {
  const profile = defaultProfile({ tune: { batchSizes: [4, 8] }, slo: { p99Ms: 5 } });
  const space = buildSpace(profile, { threads: [1] }, 2, 'cost', false);
  assert.deepEqual(space, { batchSizes: [4, 8], batchWaitsMs: [0, 2, 5, 10], replicas: [1, 2], threads: [1] });
  assert.deepEqual(buildSpace(profile, {}, 8, 'throughput', false).replicas, [1], "one replica's throughput");
  assert.deepEqual(buildSpace(profile, {}, 8, 'throughput', true), {
    batchSizes: [4, 8],
    batchWaitsMs: [0, 2, 5, 10],
    replicas: [1, 2, 3, 4],
    threads: [1, 2],
  });
  assert.equal(grid(space).length, 16);
  const c: TuneConfig = { maxBatchSize: 8, batchWaitMs: 5, replicas: 1, threads: 1 };
  assert.match(exclusion(c, profile, 2, false)!, /batch wait 5ms is not below slo\.p99 \(5ms\)/);
  assert.match(
    exclusion({ ...c, batchWaitMs: 2, replicas: 2, threads: 2 }, profile, 2, false)!,
    /needs 4 CPUs .* the host has 2/,
  );
  assert.equal(exclusion({ ...c, batchWaitMs: 2, replicas: 2, threads: 2 }, profile, 2, true), undefined);
  assert.match(
    exclusion({ ...c, batchWaitMs: 2, maxBatchSize: 512 }, profile, 2, false)!,
    /more than batching\.max_queued_requests \(256\)/,
  );
  assert.deepEqual(startPoint(space, defaultProfile({ batching: { maxBatchSize: 8, batchWaitMs: 2 } })), {
    maxBatchSize: 8,
    batchWaitMs: 2,
    replicas: 1,
    threads: 1,
  });
  assert.deepEqual(
    startPoint(space, defaultProfile()),
    { maxBatchSize: 8, batchWaitMs: 10, replicas: 1, threads: 1 },
    "the profile's wait (10ms); the middle of the batch sizes, which lack its 32",
  );
});

test('cost per hour from the prices (CPUs are the threads), per million at the rate; without prices by replicas then CPUs', () => {
  const profile = {
    resources: { cpus: 1, gpus: 0.5, memoryBytes: 2 * 1024 ** 3 },
    cost: { cpuHour: 0.04, gpuHour: 2, gibHour: 0.01 },
  };
  const c = costOf({ maxBatchSize: 8, batchWaitMs: 2, replicas: 2, threads: 2 }, profile, 200);
  assert.ok(Math.abs(c.perHour! - 2 * (0.08 + 1 + 0.02)) < 1e-9);
  assert.ok(Math.abs(c.perMillion! - (c.perHour! / (200 * 3600)) * 1e6) < 1e-9);
  assert.deepEqual({ cpus: c.cpus, gpus: c.gpus, memoryGiB: c.memoryGiB }, { cpus: 4, gpus: 1, memoryGiB: 4 });
  const free = { resources: profile.resources };
  const twoByOne = costOf({ maxBatchSize: 8, batchWaitMs: 2, replicas: 2, threads: 1 }, free);
  const oneByTwo = costOf({ maxBatchSize: 8, batchWaitMs: 2, replicas: 1, threads: 2 }, free);
  assert.equal(twoByOne.perHour, null);
  assert.ok(compareCost(oneByTwo, twoByOne) < 0, 'fewest replicas first');
});

test('nothing passed: no recommendation, the closest candidate and what it missed', () => {
  const cand = (c: TuneConfig, p99: number): Candidate => {
    const result = {
      ...fakeProbe(c, 100, 50),
      latency: { p50Ms: 1, p95Ms: 2, p99Ms: p99, maxMs: p99 },
      missed: [`p99 ${p99}ms > 10ms`],
      score: p99 / 10,
    };
    return {
      config: c,
      status: 'measured',
      probes: [result],
      result,
      passed: false,
      cost: costOf(c, { resources: { cpus: 1, gpus: 0, memoryBytes: 1 } }),
    };
  };
  const a = cand({ maxBatchSize: 8, batchWaitMs: 2, replicas: 1, threads: 1 }, 30);
  const b = cand({ maxBatchSize: 16, batchWaitMs: 0, replicas: 1, threads: 1 }, 12);
  const out = outcome([a, b], 'cost', 100, 'replica');
  assert.equal(out.recommendation, null);
  assert.deepEqual(out.closest, {
    maxBatchSize: 16,
    batchWaitMs: 0,
    replicas: 1,
    threads: 1,
    missed: ['p99 12ms > 10ms'],
  });
  assert.match(
    out.reason,
    /^no configuration met every target at 100 req\/s; the closest, batch 16 within 0ms, 1 replica x 1 thread, missed p99 12ms > 10ms$/,
  );
  assert.deepEqual(
    out.candidates.map((c) => c.config.maxBatchSize),
    [16, 8],
  );
});
