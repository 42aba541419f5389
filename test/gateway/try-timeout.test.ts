// The per-try timeout's rule (try-timeout.ts) and the one timer per replica that applies it
// (try-watch.ts), on the manual clock (gateway).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import {
  TRY_MIN_SAMPLES,
  TRY_SAMPLES,
  TRY_TIMEOUT_FACTOR,
  TryLatency,
  tryDueMs,
  tryTimeoutMs,
} from '../../src/gateway/per-try/try-timeout.js';
import { TryWatch, type TryWatchHost, type WatchedTry } from '../../src/gateway/per-try/try-watch.js';

test('the try timeout is 4x the slowest of the last 32 tries, at least the floor, none before 8 answers', () => {
  const l = new TryLatency();
  for (let i = 0; i < TRY_MIN_SAMPLES - 1; i++) l.record(10);
  assert.equal(tryTimeoutMs(l, 100), Infinity, 'too few answers: only the deadline applies');
  l.record(10);
  assert.equal(tryTimeoutMs(l, 100), 100, '4 x 10 ms is under the floor');
  l.record(60);
  assert.equal(tryTimeoutMs(l, 100), TRY_TIMEOUT_FACTOR * 60);
  l.record(NaN);
  l.record(-1);
  assert.equal(l.count, TRY_MIN_SAMPLES + 1, 'no duration is no sample');
  // The 60 ms try leaves the window after TRY_SAMPLES newer ones: the slowest is found again.
  for (let i = 0; i < TRY_SAMPLES - 1; i++) l.record(i === 5 ? 30 : 20);
  assert.equal(l.slowestMs(), 60);
  l.record(20);
  assert.equal(l.slowestMs(), 30);
  assert.equal(tryTimeoutMs(l, 100), 120);
});

test('a try is due its timeout after it was written or after the replica last answered, whichever is later', () => {
  assert.equal(tryDueMs(1000, 400, 100), 1100);
  assert.equal(tryDueMs(1000, 1050, 100), 1150);
  assert.equal(tryDueMs(1000, -Infinity, 100), 1100);
});

/** A gateway core as the watch sees it: it only records which tries were given up, and when. */
function hostOn(clock: ManualClock, floorMs = 100) {
  const given: Array<[string, number]> = [];
  const state = { overloaded: false };
  const host: TryWatchHost = {
    clock,
    limits: { tryTimeoutMinMs: floorMs },
    tryTimedOut: (t) => given.push([(t as Try).name, clock.nowMs()]),
    overloaded: () => state.overloaded,
    afterIo: (fn) => fn(),
  };
  return { host, given, state };
}
interface Try extends WatchedTry {
  name: string;
}
const tryAt = (name: string, sentAtMs: number): Try => ({
  name,
  sentAtMs,
  watchPrev: null,
  watchNext: null,
  watched: false,
});
/** A watch whose replica answered `n` tries of `ms` each, the last at now. */
function warmed(clock: ManualClock, n = TRY_MIN_SAMPLES, ms = 10): TryWatch {
  const w = new TryWatch();
  for (let i = 0; i < n; i++) w.answered(clock.nowMs(), clock.nowMs() - ms);
  return w;
}

test('a silent replica: each try is given up its timeout after it was written, oldest first', () => {
  const clock = new ManualClock(1000);
  const { host, given } = hostOn(clock);
  const w = warmed(clock);
  const a = tryAt('a', 1000);
  w.add(host, a);
  clock.advance(30);
  const b = tryAt('b', 1030);
  w.add(host, b);
  assert.equal(clock.pendingTimers, 1, 'one timer for the replica, not one per try');
  clock.advance(69);
  assert.deepEqual(given, []);
  clock.advance(1);
  assert.deepEqual(given, [['a', 1100]]);
  assert.equal(a.watched, false);
  clock.advance(30);
  assert.deepEqual(given, [
    ['a', 1100],
    ['b', 1130],
  ]);
  assert.equal(clock.pendingTimers, 0, 'nothing in flight: no timer');
});

test('a replica that keeps answering others never has a try given up; one that ends leaves the watch', () => {
  const clock = new ManualClock(1000);
  const { host, given } = hostOn(clock);
  const w = warmed(clock);
  const slow = tryAt('slow', 1000);
  const quick = tryAt('quick', 1000);
  w.add(host, slow);
  w.add(host, quick);
  for (let i = 0; i < 10; i++) {
    clock.advance(60);
    w.answered(clock.nowMs(), clock.nowMs() - 20); // other requests answered meanwhile
  }
  w.remove(quick);
  w.remove(quick);
  assert.deepEqual(given, [], 'a busy replica keeps its queued tries (resending them would only add load)');
  assert.equal(quick.watched, false);
  // It stops answering: 100 ms after its last answer (at 1600), the try still there is given up.
  clock.advance(99);
  assert.deepEqual(given, []);
  clock.advance(1);
  assert.deepEqual(given, [['slow', 1700]]);
});

test('a replica with too few answers has no try timeout; the answer that gives it one starts the watch', () => {
  const clock = new ManualClock(1000);
  const { host, given } = hostOn(clock);
  const w = warmed(clock, TRY_MIN_SAMPLES - 1);
  w.add(host, tryAt('early', 1000));
  assert.equal(clock.pendingTimers, 0);
  clock.advance(5000);
  assert.deepEqual(given, [], 'only the deadline applies to it');
  w.answered(clock.nowMs(), clock.nowMs() - 40);
  assert.equal(clock.pendingTimers, 1);
  w.add(host, tryAt('later', 6000));
  clock.advance(159);
  assert.deepEqual(given, []);
  clock.advance(1);
  // 4 x 40 ms: both are given up once the replica has been silent for 160 ms.
  assert.deepEqual(given, [
    ['early', 6160],
    ['later', 6160],
  ]);
});

test('nothing is given up while the gateway is overloaded (it may be behind reading answers); it is looked at again a timeout later', () => {
  const clock = new ManualClock(1000);
  const { host, given, state } = hostOn(clock);
  const w = warmed(clock);
  w.add(host, tryAt('a', 1000));
  state.overloaded = true;
  clock.advance(150);
  assert.deepEqual(given, []);
  state.overloaded = false;
  clock.advance(49);
  assert.deepEqual(given, []);
  clock.advance(1);
  assert.deepEqual(given, [['a', 1200]]);
});
