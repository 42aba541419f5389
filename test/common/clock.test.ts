// The manual clock's timers (fired in due order as time advances) and the shells' helpers on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, delay, every, systemClock } from '../../src/common/clock.js';

test('manual timers fire in due order, each at its own time, and cleared ones never fire', () => {
  const clock = new ManualClock(100);
  const fired: Array<[string, number]> = [];
  clock.setTimer(() => fired.push(['b', clock.nowMs()]), 20);
  clock.setTimer(() => fired.push(['a', clock.nowMs()]), 10);
  const c = clock.setTimer(() => fired.push(['c', clock.nowMs()]), 15);
  clock.setTimer(() => fired.push(['d', clock.nowMs()]), 20);
  clock.clearTimer(c);
  clock.advance(5);
  assert.deepEqual(fired, []);
  clock.advance(100);
  assert.deepEqual(fired, [
    ['a', 110],
    ['b', 120],
    ['d', 120],
  ]);
  assert.equal(clock.nowMs(), 205);
  assert.equal(clock.pendingTimers, 0);
});

test('a timer set by a firing timer fires within the same advance when it falls inside it', () => {
  const clock = new ManualClock();
  const at: number[] = [];
  clock.setTimer(() => {
    at.push(clock.nowMs());
    clock.setTimer(() => at.push(clock.nowMs()), 30);
  }, 10);
  clock.advance(35);
  assert.deepEqual(at, [10]);
  clock.advance(5);
  assert.deepEqual(at, [10, 40]);
});

test('every() repeats on the clock, never overlaps an async call, and stops', async () => {
  const clock = new ManualClock();
  const ticks: number[] = [];
  const stop = every(clock, 100, () => void ticks.push(clock.nowMs()));
  clock.advance(350);
  assert.deepEqual(ticks, [100, 200, 300]);
  stop();
  clock.advance(1000);
  assert.deepEqual(ticks, [100, 200, 300]);

  let release!: () => void;
  let calls = 0;
  const stopAsync = every(clock, 10, () => {
    calls++;
    return new Promise<void>((r) => (release = r));
  });
  clock.advance(100);
  assert.equal(calls, 1, 'the next call waits until this one settles');
  release();
  await Promise.resolve();
  await Promise.resolve();
  clock.advance(10);
  assert.equal(calls, 2);
  stopAsync();
});

test('delay() resolves on the clock or at once on abort; the system clock runs real timers', async () => {
  const clock = new ManualClock();
  let done = false;
  const p = delay(clock, 50).then(() => (done = true));
  clock.advance(49);
  await Promise.resolve();
  assert.equal(done, false);
  clock.advance(1);
  await p;
  assert.equal(done, true);
  const abort = new AbortController();
  const q = delay(clock, 1e9, abort.signal);
  abort.abort();
  await q;
  assert.equal(clock.pendingTimers, 0, 'an aborted delay leaves no timer behind');
  const t0 = performance.now();
  await delay(systemClock, 20);
  assert.ok(performance.now() - t0 >= 15);
});
