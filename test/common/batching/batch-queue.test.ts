// The batcher's pure core on a manual clock: when batches form, which requests they take, order by
// priority, shedding when full, and deadlines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/common/clock.js';
import { BatchQueue, type BatchPolicy, type QueuedItem } from '../../../src/common/batching/batch-queue.js';

interface Item extends QueuedItem {
  id: string;
}
const policy: BatchPolicy = { maxBatchSize: 8, batchWaitMs: 10, batching: true, mode: 'fixed' };
const item = (id: string, clock: ManualClock, rows = 1, priority = 0, deadlineMs = Infinity): Item => ({
  id,
  rows,
  priority,
  enqueuedMs: clock.nowMs(),
  deadlineMs,
});
const ids = (items: Item[]) => items.map((i) => i.id);

test('an empty queue is idle', () => {
  assert.deepEqual(new BatchQueue<Item>(4).decide(0, policy), { kind: 'idle' });
});

test('a lone request waits batchWaitMs after its arrival, then runs alone', () => {
  const clock = new ManualClock(100);
  const q = new BatchQueue<Item>(16);
  q.offer(item('a', clock));
  assert.deepEqual(q.decide(clock.nowMs(), policy), { kind: 'wait', untilMs: 110 });
  clock.advance(9.9);
  assert.equal(q.decide(clock.nowMs(), policy).kind, 'wait');
  clock.advance(0.1);
  const d = q.decide(clock.nowMs(), policy);
  assert.equal(d.kind, 'run');
  assert.deepEqual(d.kind === 'run' && ids(d.items), ['a']);
  assert.equal(q.size, 0);
});

test('the wait is measured from the oldest request, not the newest', () => {
  const clock = new ManualClock();
  const q = new BatchQueue<Item>(16);
  q.offer(item('a', clock));
  clock.advance(7);
  q.offer(item('b', clock));
  assert.deepEqual(q.decide(clock.nowMs(), policy), { kind: 'wait', untilMs: 10 });
  clock.advance(3);
  const d = q.decide(clock.nowMs(), policy);
  assert.deepEqual(d.kind === 'run' && ids(d.items), ['a', 'b']);
});

test('a full batch runs at once without waiting, and takes only what fits', () => {
  const clock = new ManualClock();
  const q = new BatchQueue<Item>(16);
  q.offer(item('a', clock, 3));
  q.offer(item('b', clock, 4));
  assert.equal(q.decide(0, policy).kind, 'wait');
  q.offer(item('c', clock, 2));
  const d = q.decide(0, policy);
  assert.equal(d.kind, 'run');
  if (d.kind === 'run') {
    assert.deepEqual(ids(d.items), ['a', 'b']);
    assert.equal(d.rows, 7);
  }
  assert.equal(q.size, 1);
  assert.equal(q.rows, 2);
});

test('higher priority is batched first; equal priority keeps arrival order', () => {
  const clock = new ManualClock();
  const q = new BatchQueue<Item>(16);
  for (const [id, p] of [
    ['l1', 0],
    ['h1', 5],
    ['l2', 0],
    ['m1', 2],
    ['h2', 5],
  ] as const)
    q.offer(item(id, clock, 2, p));
  const d = q.decide(10, policy);
  assert.deepEqual(d.kind === 'run' && ids(d.items), ['h1', 'h2', 'm1', 'l1']);
  const rest = q.decide(20, policy);
  assert.deepEqual(rest.kind === 'run' && ids(rest.items), ['l2']);
});

test('a full queue refuses equal or lower priority and evicts the newest lowest for higher', () => {
  const clock = new ManualClock();
  const q = new BatchQueue<Item>(3);
  q.offer(item('a', clock, 1, 1));
  q.offer(item('b', clock, 1, 0));
  q.offer(item('c', clock, 1, 0));
  assert.deepEqual(q.offer(item('d', clock, 1, 0)), { accepted: false });
  const r = q.offer(item('e', clock, 1, 3));
  assert.equal(r.accepted, true);
  assert.equal(r.accepted && r.evicted?.id, 'c');
  assert.deepEqual(q.offer(item('f', clock, 1, 1)).accepted && 'accepted', 'accepted');
  // f evicted b (priority 0); now the lowest is priority 1 and another 1 is refused.
  assert.deepEqual(q.offer(item('g', clock, 1, 1)), { accepted: false });
  const d = q.decide(100, policy);
  assert.deepEqual(d.kind === 'run' && ids(d.items), ['e', 'a', 'f']);
});

test('expired requests are removed; the wait ends at the earliest deadline', () => {
  const clock = new ManualClock();
  const q = new BatchQueue<Item>(16);
  q.offer(item('a', clock, 1, 0, 4));
  q.offer(item('b', clock, 1, 0, Infinity));
  assert.deepEqual(q.decide(0, policy), { kind: 'wait', untilMs: 4 });
  clock.set(4);
  assert.deepEqual(ids(q.expire(clock.nowMs())), ['a']);
  assert.equal(q.rows, 1);
  assert.deepEqual(q.expire(clock.nowMs()), []);
  assert.deepEqual(q.decide(clock.nowMs(), policy), { kind: 'wait', untilMs: 10 });
});

test('with batching off every request runs alone and at once', () => {
  const clock = new ManualClock();
  const q = new BatchQueue<Item>(16);
  q.offer(item('a', clock, 2));
  q.offer(item('b', clock, 1));
  const off = { ...policy, batching: false };
  const first = q.decide(0, off);
  assert.deepEqual(first.kind === 'run' && [ids(first.items), first.rows], [['a'], 2]);
  const second = q.decide(0, off);
  assert.deepEqual(second.kind === 'run' && ids(second.items), ['b']);
  assert.deepEqual(q.decide(0, off), { kind: 'idle' });
});

test('takeAll empties the queue', () => {
  const clock = new ManualClock();
  const q = new BatchQueue<Item>(16);
  q.offer(item('a', clock));
  q.offer(item('b', clock, 1, 3));
  assert.deepEqual(ids(q.takeAll()), ['b', 'a']);
  assert.equal(q.size, 0);
  assert.equal(q.rows, 0);
});

test('when the session has just freed, what queued during the run goes at once (up to a full batch)', () => {
  const clock = new ManualClock();
  const q = new BatchQueue<Item>(32);
  for (const id of ['a', 'b', 'c']) q.offer(item(id, clock));
  // An idle session still gathers for batchWaitMs ...
  assert.deepEqual(q.decide(clock.nowMs(), policy), { kind: 'wait', untilMs: 10 });
  clock.advance(2);
  // ... but a session that just finished a batch takes what waited meanwhile without idling.
  const d = q.decide(clock.nowMs(), policy, true);
  assert.equal(d.kind, 'run');
  assert.deepEqual(d.kind === 'run' && ids(d.items), ['a', 'b', 'c']);
  for (let i = 0; i < 10; i++) q.offer(item(`r${i}`, clock));
  const full = q.decide(clock.nowMs(), policy, true);
  assert.equal(full.kind === 'run' && full.items.length, policy.maxBatchSize);
  assert.equal(q.size, 2);
  assert.deepEqual(new BatchQueue<Item>(4).decide(0, policy, true), { kind: 'idle' });
});
