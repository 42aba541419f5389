// How sure a tune measurement is (pure): percentile targets judged on the statistics core's
// intervals over synthetic per-second windows (met inside, missed beyond, unsure when the interval
// straddles the target), the stability band where too few samples allow no interval, and windows in
// which the load generator fell behind dropped and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/common/random.js';
import { buildGrid, pooledQuantile, windowsFromSamples, type WindowCounts } from '../../src/stats/index.js';
import { decide, judgeProbe } from '../../src/tune/decision.js';
import { withIntervals } from '../../src/tune/intervals.js';
import { WindowLog } from '../../src/tune/window-log.js';
import type { Probe, ProbeCheck } from '../../src/tune/types.js';
import { fakeProbe } from './fake-landscape.js';

const TARGET_MS = 100;
const config = { maxBatchSize: 8, batchWaitMs: 2, replicas: 1, threads: 1 };

/** `seconds` windows of 300 latencies each, `tail(k, random)` giving window k's slow ones (ms). */
function windows(seconds: number, tail: (k: number, random: () => number) => number[]): WindowCounts[] {
  const random = seededRandom(7);
  return windowsFromSamples(
    Array.from({ length: seconds }, (_, k) => {
      const slow = tail(k, random);
      const fast = Array.from({ length: 300 - slow.length }, () => Math.round(10 + 30 * random()));
      return [...fast, ...slow.map(Math.round)];
    }),
  );
}

/** A stable measurement at 100 req/s whose only target is p99 <= 100 ms, judged over `w`. */
function probeOver(w: WindowCounts[], extra: Partial<Probe> = {}): Probe {
  const p99 = pooledQuantile(buildGrid(w), 0.99);
  const check: ProbeCheck = {
    metric: 'p99',
    actual: p99,
    limit: TARGET_MS,
    ratio: p99 / TARGET_MS,
    message: `p99 ${p99}ms > ${TARGET_MS}ms`,
  };
  const passed = p99 <= TARGET_MS;
  return {
    ...fakeProbe(config, 100),
    passed,
    missed: passed ? [] : [check.message],
    score: check.ratio,
    checks: withIntervals([check], w),
    ...extra,
  };
}

test('a p99 whose whole interval lies under its target is met, over it missed, across it unsure, with the interval that decided it', () => {
  // 12 s of 300 requests: 3600 samples, enough for a p99 interval (2000 and 8 s).
  const met = probeOver(windows(12, (_, r) => Array.from({ length: 6 }, () => 50 + 20 * r())));
  assert.ok(met.checks![0]!.low !== undefined, 'an interval, not a point estimate');
  assert.deepEqual(judgeProbe(met, 'cost').confidence, 'met');
  assert.match(judgeProbe(met, 'cost').by, /^p99 [\d.]+ ms \[[\d.]+, [\d.]+\] <= 100 ms$/);

  const missed = probeOver(windows(12, (_, r) => Array.from({ length: 6 }, () => 150 + 40 * r())));
  assert.equal(judgeProbe(missed, 'cost').confidence, 'missed');
  assert.match(judgeProbe(missed, 'cost').by, /^p99 [\d.]+ ms \[[\d.]+, [\d.]+\] > 100 ms$/);

  // The first six seconds have their slow requests at 80 ms, the last six at 125 ms (a slowdown
  // half-way): which seconds a resample draws decides on which side of 100 ms the p99 falls.
  const straddling = probeOver(windows(12, (k) => Array.from({ length: 5 }, () => (k < 6 ? 80 : 125))));
  const c = straddling.checks![0]!;
  assert.ok(c.low! < TARGET_MS && c.high! > TARGET_MS, `[${c.low}, ${c.high}] straddles 100`);
  assert.equal(judgeProbe(straddling, 'cost').confidence, 'unsure');
  assert.match(judgeProbe(straddling, 'cost').by, /^p99 [\d.]+ ms \[[\d.]+, [\d.]+\] straddles 100 ms$/);
  // Its point estimate alone (80 ms) would have been met by the old 10% band.
  assert.ok(c.ratio <= 0.9, `p99 ${c.actual}`);

  // Unstable windows are never met, however far inside the interval.
  assert.equal(judgeProbe({ ...met, stable: false }, 'cost').confidence, 'unsure');
  // A report built of these: decided only on the met recommendation.
  const cand = (p: Probe) => ({
    config,
    status: 'measured' as const,
    probes: [p],
    result: p,
    passed: p.passed,
    cost: { replicas: 1, cpus: 1, gpus: 0, memoryGiB: 1, perHour: null, perMillion: null },
  });
  const report = (p: Probe) => ({
    objective: 'cost' as const,
    windowMs: 1000,
    maxWindows: 5,
    recommendation: p.passed
      ? { ...config, objective: 'cost' as const, ratePerSec: 100, latency: p.latency, cost: cand(p).cost }
      : null,
    candidates: [cand(p)],
  });
  assert.equal(decide(report(met)).decision, 'decided');
  assert.equal(decide(report(missed)).decision, 'missed');
  const unsure = decide(report(straddling.passed ? straddling : { ...straddling, passed: true }));
  assert.equal(unsure.decision, 'inconclusive');
  assert.match(
    unsure.advice!,
    /is unsure: p99 [\d.]+ ms \[[\d.]+, [\d.]+\] straddles 100 ms; 0 of 1 unstable; longer windows/,
  );
});

test('too few samples for an interval: the point estimate is judged by the 10% band, and the note says why', () => {
  // 3 s of 300: 900 samples, under the 2000 a p99 interval needs.
  const near = probeOver(windows(3, () => [95, 95, 95, 96, 96]));
  const c = near.checks![0]!;
  assert.equal(c.low, undefined);
  assert.match(c.note!, /too few samples for an interval \(900 < 2000\)/);
  assert.equal(judgeProbe(near, 'cost').confidence, 'unsure');
  assert.match(judgeProbe(near, 'cost').by, /^p99 9[56](\.0)? ms \(point\) within 10% of 100 ms$/);
  assert.equal(judgeProbe(near, 'throughput').confidence, 'met', 'a knee is met at its target');
  const far = probeOver(windows(3, () => [40, 40, 40, 41, 41]));
  assert.equal(judgeProbe(far, 'cost').confidence, 'met');
  const over = probeOver(windows(3, () => [130, 130, 130, 131, 131]));
  assert.equal(judgeProbe(over, 'cost').confidence, 'missed');
  assert.match(judgeProbe(over, 'cost').by, /^p99 13[01](\.0)? ms \(point\) > 100 ms$/);
  // The 90%-of-the-rate rule is a margin already: 95 of 100 req/s answered is met.
  const rate: ProbeCheck = { metric: 'rate', actual: 95, limit: 90, ratio: 90 / 95, message: '' };
  assert.equal(judgeProbe({ ...far, checks: [...far.checks!, rate] }, 'cost').confidence, 'met');
});

test('a window in which the generator fell behind is dropped, not a sample; half the windows dropped is unsure', () => {
  const s = { achievedPerSec: 100, p99Ms: 50, requestedPerSec: 100 };
  const log = new WindowLog<number>(6);
  assert.equal(log.add(1, s), 'more');
  // A window the generator fell behind in would have counted as the second of three stable ones.
  assert.equal(log.add(2, { ...s, p99Ms: 400 }, 'event loop delayed 40ms at p99'), 'more');
  assert.equal(log.add(3, s), 'more');
  assert.equal(log.add(4, s), 'stable');
  assert.deepEqual(
    log.kept.map((k) => k.window),
    [1, 3, 4],
  );
  assert.equal(log.dropped, 1);
  assert.equal(log.droppedReason, 'event loop delayed 40ms at p99');
  // Dropped windows count towards --max-windows: a generator always behind ends the measurement.
  const behind = new WindowLog<number>(3);
  assert.equal(behind.add(1, s, 'x'), 'more');
  assert.equal(behind.add(2, s, 'x'), 'more');
  assert.equal(behind.add(3, s, 'x'), 'unstable');

  const met = probeOver(windows(12, (_, r) => Array.from({ length: 6 }, () => 50 + 20 * r())));
  assert.equal(judgeProbe({ ...met, windows: 4, droppedWindows: 1 }, 'cost').confidence, 'met');
  const half = judgeProbe({ ...met, windows: 6, droppedWindows: 3 }, 'cost');
  assert.deepEqual(half, { confidence: 'unsure', by: 'the load generator fell behind in 3 of 6 windows' });
  assert.equal(judgeProbe({ ...met, windows: 3, droppedWindows: 3 }, 'cost').confidence, 'unsure');
  // A miss in the windows kept is the server's: still missed.
  const missed = probeOver(windows(12, (_, r) => Array.from({ length: 6 }, () => 150 + 40 * r())));
  assert.equal(judgeProbe({ ...missed, windows: 6, droppedWindows: 3 }, 'cost').confidence, 'missed');
});
