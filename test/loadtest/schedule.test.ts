// Arrival schedule, ramp parsing and knee finding (loadtest, pure): exact, no clock needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrivalSchedule, DueQueue, ScheduleShare, parseRateSpec, rampRates } from '../../src/loadtest/schedule.js';
import { splitEvenly } from '../../src/loadtest/workers/workers.js';
import { findKnee } from '../../src/loadtest/knee.js';
import type { StepResult } from '../../src/loadtest/types.js';

test('constant arrivals sit at exact absolute times, without drift', () => {
  const s = new ArrivalSchedule(300, 'constant');
  const due = Array.from({ length: 3001 }, () => s.next());
  assert.equal(due[0], 0);
  assert.ok(Math.abs(due[3000]! - 10_000) < 1e-6, `arrival 3000 at ${due[3000]}`);
  for (let i = 1; i < due.length; i++) assert.ok(Math.abs(due[i]! - due[i - 1]! - 1000 / 300) < 1e-9);
});

test('poisson arrivals are seeded, increasing, and average the requested rate', () => {
  const a = new ArrivalSchedule(200, 'poisson', 42);
  const b = new ArrivalSchedule(200, 'poisson', 42);
  const c = new ArrivalSchedule(200, 'poisson', 43);
  const da = Array.from({ length: 20_000 }, () => a.next());
  const db = Array.from({ length: 20_000 }, () => b.next());
  assert.deepEqual(da, db);
  assert.notEqual(c.next() + c.next(), da[0]! + da[1]!);
  for (let i = 1; i < da.length; i++) assert.ok(da[i]! >= da[i - 1]!);
  const ratePerSec = (da.length - 1) / (da.at(-1)! / 1000);
  assert.ok(Math.abs(ratePerSec - 200) < 6, `poisson rate ${ratePerSec}`);
  // Exponential gaps: about 1/e of them exceed the mean gap of 5 ms.
  const gaps = da.slice(1).map((d, i) => d - da[i]!);
  const longShare = gaps.filter((g) => g > 5).length / gaps.length;
  assert.ok(Math.abs(longShare - Math.exp(-1)) < 0.02, `share of gaps over the mean ${longShare}`);
});

test('DueQueue hands out what is due by now, before the end, and nothing twice', () => {
  const q = new DueQueue(new ArrivalSchedule(100, 'constant'), 55);
  assert.deepEqual(q.takeDue(0), [0]);
  assert.deepEqual(q.takeDue(9.99), []);
  assert.equal(q.nextDueMs(), 10);
  assert.deepEqual(q.takeDue(35), [10, 20, 30]);
  assert.deepEqual(q.takeDue(1000), [40, 50]);
  assert.equal(q.nextDueMs(), undefined);
});

test('rate specs: a rate, a ramp, and clear errors', () => {
  assert.deepEqual(parseRateSpec('200'), { ratePerSec: 200 });
  assert.deepEqual(parseRateSpec('50:1000:50'), { ramp: { fromPerSec: 50, toPerSec: 1000, byPerSec: 50 } });
  assert.deepEqual(rampRates({ fromPerSec: 50, toPerSec: 200, byPerSec: 50, stepMs: 1 }), [50, 100, 150, 200]);
  assert.deepEqual(rampRates({ fromPerSec: 0.5, toPerSec: 1.5, byPerSec: 0.5, stepMs: 1 }), [0.5, 1, 1.5]);
  assert.throws(() => parseRateSpec('fast'), /expected a rate/);
  assert.throws(() => parseRateSpec('10:20'), /three numbers/);
  assert.throws(() => parseRateSpec('100:50:10'), /ends below/);
  assert.throws(() => parseRateSpec('0'), /expected a rate/);
});

function step(requestedPerSec: number, passed: boolean): StepResult {
  const lat = { count: 1, minMs: 1, meanMs: 1, p50Ms: 1, p90Ms: 1, p95Ms: 1, p99Ms: 1, p999Ms: 1, maxMs: 1 };
  const requests = { scheduled: 1, sent: 1, ok: 1, errors: 0, notSent: 0, sentLate: 0 };
  return {
    requestedPerSec,
    achievedPerSec: requestedPerSec - 1,
    durationMs: 1000,
    requests,
    errorRate: 0,
    latency: lat,
    service: lat,
    passed,
  };
}

test('the knee is the last passing rate before the first failure', () => {
  assert.deepEqual(findKnee([step(50, true), step(100, true), step(150, false), step(200, true)]), {
    ratePerSec: 100,
    achievedPerSec: 99,
  });
  assert.equal(findKnee([step(50, false), step(100, true)]), null);
  assert.deepEqual(findKnee([step(50, true)]), { ratePerSec: 50, achievedPerSec: 49 });
});

test('shares of a schedule interleave back into the whole schedule', () => {
  for (const kind of ['constant', 'poisson'] as const) {
    const whole = new ArrivalSchedule(300, kind, 5);
    const expected = Array.from({ length: 99 }, () => whole.next());
    const shares = [0, 1, 2].map((i) => new ScheduleShare(new ArrivalSchedule(300, kind, 5), i, 3));
    const merged = Array.from({ length: 33 }, () => shares.map((s) => s.next())).flat();
    assert.deepEqual(merged, expected);
  }
  assert.deepEqual(splitEvenly(10, 3), [4, 3, 3]);
  assert.deepEqual(splitEvenly(2, 4), [1, 1, 1, 1]);
});
