// Tests of passive ejection and the replica set, on a manual clock (gateway).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dispatcher } from 'undici';
import { ManualClock } from '../../src/common/clock.js';
import { Upstream } from '../../src/gateway/upstream.js';
import { UpstreamSet } from '../../src/gateway/upstream-set.js';
import type { FramePool } from '../../src/gateway/frame-pool.js';
import { seededRandom } from '../../src/common/random.js';

const policy = { ejectAfterFailures: 3, ejectForMs: 1000 };
const fakePool = (url: string) => ({ url }) as unknown as Dispatcher;

test('consecutive failures eject for ejectFor, then one more failure ejects again', () => {
  const clock = new ManualClock();
  const u = new Upstream('a', 'http://127.0.0.1:1', true, fakePool('x'));
  assert.equal(u.recordFailure(clock, policy), false);
  assert.equal(u.recordFailure(clock, policy), false);
  assert.equal(u.recordFailure(clock, policy), true);
  assert.equal(u.isAvailable(clock.nowMs()), false);
  assert.equal(u.state(clock.nowMs()), 'ejected');
  // Failures that arrive while ejected (requests already in flight) do not extend it.
  assert.equal(u.recordFailure(clock, policy), false);
  clock.advance(999);
  assert.equal(u.isAvailable(clock.nowMs()), false);
  clock.advance(1);
  assert.equal(u.isAvailable(clock.nowMs()), true);
  assert.equal(u.recordFailure(clock, policy), true, 'on probation one failure ejects again');
  assert.equal(u.ejections, 2);
});

test('a success resets the failure count', () => {
  const clock = new ManualClock();
  const u = new Upstream('a', 'http://127.0.0.1:1', true, fakePool('x'));
  u.recordFailure(clock, policy);
  u.recordFailure(clock, policy);
  u.recordSuccess();
  assert.equal(u.recordFailure(clock, policy), false);
  assert.equal(u.recordFailure(clock, policy), false);
  assert.equal(u.consecutiveFailures, 2);
});

test('replace keeps pools of staying replicas and returns removed ones', () => {
  const clock = new ManualClock();
  const made: string[] = [];
  const set = new UpstreamSet(clock, 2, (url) => (made.push(url), fakePool(url)), seededRandom(1));
  set.replace([
    { id: 'a', url: 'http://127.0.0.1:1', ready: true },
    { id: 'b', url: 'http://127.0.0.1:2', ready: false },
  ]);
  const a = set.list[0]!;
  a.inflight = 1;
  const removed = set.replace([
    { id: 'a', url: 'http://127.0.0.1:1', ready: false },
    { id: 'b', url: 'http://127.0.0.1:3', ready: true },
    { id: 'c', url: 'http://127.0.0.1:4', ready: true },
  ]);
  assert.deepEqual(made, ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3', 'http://127.0.0.1:4']);
  assert.equal(set.list[0], a, 'a keeps its Upstream (pool, in-flight count)');
  assert.equal(a.ready, false);
  assert.equal(a.inflight, 1);
  assert.deepEqual(
    removed.map((u) => [u.id, u.url, u.removed]),
    [['b', 'http://127.0.0.1:2', true]],
  );
  assert.deepEqual(set.counts(), { ready: 2, not_ready: 1, ejected: 0 });
});

test('pick honours the in-flight cap, readiness, ejection and the retry exclusion', () => {
  const clock = new ManualClock();
  const set = new UpstreamSet(clock, 2, fakePool, seededRandom(5));
  set.replace([
    { id: 'a', url: 'http://127.0.0.1:1', ready: true },
    { id: 'b', url: 'http://127.0.0.1:2', ready: true },
    { id: 'c', url: 'http://127.0.0.1:3', ready: false },
  ]);
  const [a, b] = set.list as Upstream[];
  for (let k = 0; k < 50; k++) assert.notEqual(set.pick()?.id, 'c');
  for (let k = 0; k < 20; k++) assert.equal(set.pick(a)?.id, 'b');
  b!.inflight = 2;
  for (let k = 0; k < 20; k++) assert.equal(set.pick()?.id, 'a');
  assert.equal(set.pick(a), undefined, 'b is full');
  assert.equal(set.hasAvailable(a), true, 'b is busy, not gone');
  for (let k = 0; k < 3; k++) a!.recordFailure(clock, policy);
  assert.equal(set.pick(), undefined);
  assert.equal(set.nextReturnMs(), 1000);
  clock.advance(1000);
  assert.equal(set.pick()?.id, 'a');
});

test('a retry goes to a replica with no failure in a row while one has room: not to a second replica of a host just cut off', () => {
  const clock = new ManualClock();
  const set = new UpstreamSet(clock, 4, fakePool, seededRandom(3));
  set.replace(['a', 'b', 'c', 'd'].map((id, i) => ({ id, url: `http://127.0.0.1:${i + 1}`, ready: true })));
  const [a, b, c, d] = set.list as Upstream[];
  // a and b share a host that was cut: a's try failed, b's failure came in too (neither ejected yet).
  a!.recordFailure(clock, policy);
  b!.recordFailure(clock, policy);
  c!.inflight = 3;
  for (let k = 0; k < 50; k++) assert.equal(set.pick(a)?.id, 'd', 'the healthy replica with the fewest in flight');
  d!.inflight = 4;
  for (let k = 0; k < 50; k++) assert.equal(set.pick(a)?.id, 'c', 'a healthy one with room, busy or not');
  c!.inflight = 4;
  assert.equal(set.pick(a)?.id, 'b', 'only a failing one has room: still better than no retry');
  // A first try is not steered (b stays in the rotation until it is ejected).
  c!.inflight = 0;
  d!.inflight = 0;
  const firsts = new Set(Array.from({ length: 200 }, () => set.pick()?.id));
  assert.ok(firsts.has('b'), [...firsts].join(','));
});

test('a replica with a frame socket gets a frame pool; a changed frame socket counts as a replaced replica', () => {
  const frames: string[] = [];
  const makeFrames = (p: string) => (frames.push(p), { target: p }) as unknown as FramePool;
  const set = new UpstreamSet(new ManualClock(), 2, fakePool, seededRandom(1), makeFrames);
  const ep = { id: 'a', url: 'http://127.0.0.1:1', ready: true, frameSocket: '/run/a.1.frames.sock' };
  set.replace([ep, { id: 'b', url: 'http://127.0.0.1:2', ready: true }]);
  const [a, b] = set.list;
  assert.equal(a!.frames?.target, '/run/a.1.frames.sock');
  assert.equal(b!.frames, undefined, 'no frame socket: HTTP only');
  assert.deepEqual(set.replace([ep, { id: 'b', url: 'http://127.0.0.1:2', ready: true }]), []);
  assert.equal(set.list[0], a, 'the same frame socket keeps its Upstream');
  const removed = set.replace([
    { ...ep, frameSocket: '/run/a.2.frames.sock' },
    { id: 'b', url: 'http://127.0.0.1:2', ready: true },
  ]);
  assert.deepEqual(
    removed.map((u) => u.id),
    ['a'],
  );
  assert.equal(set.list[0]!.frames?.target, '/run/a.2.frames.sock');
  assert.deepEqual(frames, ['/run/a.1.frames.sock', '/run/a.2.frames.sock']);
  // A replica on an SSH host: its TCP frame address.
  set.replace([{ id: 'c', url: 'http://10.0.0.2:8001', ready: true, frameAddress: '10.0.0.2:41000' }]);
  assert.equal(set.list[0]!.frames?.target, '10.0.0.2:41000');
  // A gateway without a frame pool factory routes everything over HTTP.
  const http = new UpstreamSet(new ManualClock(), 2, fakePool, seededRandom(1));
  http.replace([ep, { id: 'c', url: 'http://10.0.0.2:8001', ready: true, frameAddress: '10.0.0.2:41000' }]);
  assert.equal(http.list[0]!.frames, undefined);
  assert.equal(http.list[1]!.frames, undefined);
});
