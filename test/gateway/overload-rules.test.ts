// The pure rules behind "overload is not failure" (gateway): the completion-rate meter, queue
// admission, the dispatch check, and when an unanswered attempt counts against its replica. All on
// exact numbers or a ManualClock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dispatcher } from 'undici';
import { ManualClock } from '../../src/common/clock.js';
import {
  admitToQueue,
  expectedWaitMs,
  queueRefusal,
  RateMeter,
  worthDispatching,
} from '../../src/gateway/admission.js';
import { isHung, judgeAtMs, MIN_HANG_MS } from '../../src/gateway/deadline.js';
import { Upstream } from '../../src/gateway/upstream.js';

test('the rate meter counts completions over the last second, and knows nothing from a few', () => {
  const clock = new ManualClock(10_000);
  const m = new RateMeter(clock.nowMs());
  for (let i = 0; i < 10; i++) m.record(clock.nowMs());
  clock.advance(100);
  assert.equal(m.perSec(clock.nowMs()), 0, '10 completions are too few to judge capacity by');
  // 2,000/s for a second: 2 completions every millisecond.
  for (let t = 0; t < 1000; t++) {
    clock.advance(1);
    m.record(clock.nowMs());
    m.record(clock.nowMs());
  }
  const rate = m.perSec(clock.nowMs());
  assert.ok(rate > 1900 && rate < 2100, `rate ${rate}`);
  // Half a second of silence halves it; more than the window forgets everything.
  clock.advance(500);
  const half = m.perSec(clock.nowMs());
  assert.ok(half > 800 && half < 1100, `after 500 ms of silence: ${half}`);
  clock.advance(1000);
  assert.equal(m.perSec(clock.nowMs()), 0);
  clock.advance(60_000);
  for (let i = 0; i < 30; i++) m.record(clock.nowMs());
  clock.advance(200);
  assert.ok(m.perSec(clock.nowMs()) > 0, 'counts again after a long gap');
});

test('a request may queue only while the work ahead of it takes at most half its remaining budget', () => {
  // 128 at replicas + 371 queued + itself = 500 requests at 1,000/s = 500 ms.
  const v = { queued: 371, inflight: 128, completionsPerSec: 1000, oldestWaitMs: 0 };
  assert.equal(expectedWaitMs(v), 500);
  assert.equal(admitToQueue(v, 1000), true);
  assert.equal(admitToQueue(v, 999), false);
  assert.equal(admitToQueue({ ...v, queued: 372 }, 1000), false);
  // The oldest queued request has waited 600 ms already: the rate alone would say 500 ms.
  assert.equal(expectedWaitMs({ ...v, oldestWaitMs: 600 }), 600);
  assert.equal(admitToQueue({ ...v, oldestWaitMs: 600 }, 1000), false);
  // No rate yet (a burst after a quiet spell): admitted, the queue cap decides.
  assert.equal(admitToQueue({ ...v, completionsPerSec: 0 }, 10), true);
  assert.equal(expectedWaitMs({ ...v, completionsPerSec: 0 }), Infinity);
});

test('queueRefusal says why, in words, and checks the cap first', () => {
  const v = { queued: 10, inflight: 128, completionsPerSec: 100, oldestWaitMs: 0 };
  const full = queueRefusal(v, 60_000, 10);
  assert.equal(full?.reason, 'queue_full');
  assert.match(full!.message, /the gateway queue is full \(10 requests waiting for a replica\)/);
  const over = queueRefusal(v, 1000, 1024);
  assert.equal(over?.reason, 'over_budget');
  assert.match(
    over!.message,
    /the requests ahead would take about 1390 ms, too much of this request's 1000 ms budget; retry later/,
  );
  assert.equal(queueRefusal(v, 3000, 1024), undefined);
});

test('a queued request is sent on only with twice the time at replicas still left', () => {
  // 127 at replicas + itself at 2,000/s: 64 ms expected, 128 ms needed.
  assert.equal(worthDispatching(127, 2000, 128), true);
  assert.equal(worthDispatching(127, 2000, 127), false);
  assert.equal(worthDispatching(127, 0, 1), true, 'no rate: anything with time left goes');
  assert.equal(worthDispatching(127, 0, 0), false);
});

test('an unanswered attempt is judged after its budget and a grace, never sooner than 1 s after sending', () => {
  assert.equal(judgeAtMs(1000, 998), 1000 + 998 + 250);
  assert.equal(judgeAtMs(1000, 58), 1000 + MIN_HANG_MS);
  assert.equal(judgeAtMs(0, 5000), 5250);
});

test('it counts against its replica only if the replica answered nothing at all since it was sent', () => {
  assert.equal(isHung(998, 41, 41), true, 'a hung or stopped replica completes nothing');
  assert.equal(isHung(998, 41, 42), false, 'a busy replica keeps completing other requests');
  assert.equal(isHung(20, 41, 41), false, 'a client-chosen tiny budget says nothing about the replica');
});

test('a failure that may not eject is counted but never ejects', () => {
  const clock = new ManualClock();
  const u = new Upstream('a', 'http://127.0.0.1:1', true, {} as unknown as Dispatcher);
  const policy = { ejectAfterFailures: 2, ejectForMs: 1000 };
  for (let i = 0; i < 5; i++) assert.equal(u.recordFailure(clock, policy, false), false);
  assert.equal(u.consecutiveFailures, 5);
  assert.equal(u.isAvailable(clock.nowMs()), true);
  assert.equal(u.recordFailure(clock, policy), true, 'a failure that may eject does, once over the count');
});
