// The connections the gateway stops reading while over budget (gateway, pure core on a manual clock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { MAX_PAUSE_MS, ReadPause } from '../../src/gateway/read-pause.js';

class FakeConn {
  reading = true;
  destroyed = false;
  pause() {
    this.reading = false;
  }
  resume() {
    this.reading = true;
  }
}

test('paused connections are read again oldest first, as slots free', () => {
  const clock = new ManualClock();
  const rp = new ReadPause(clock);
  const conns = [new FakeConn(), new FakeConn(), new FakeConn()];
  for (const c of conns) {
    rp.pause(c);
    clock.advance(10);
  }
  assert.deepEqual(
    conns.map((c) => c.reading),
    [false, false, false],
  );
  assert.equal(rp.resume(2), 2);
  assert.deepEqual(
    conns.map((c) => c.reading),
    [true, true, false],
  );
  assert.equal(rp.size, 1);
});

test('no connection stays unread longer than Retry-After, and closed ones are skipped', () => {
  const clock = new ManualClock();
  const rp = new ReadPause(clock);
  const [a, b, gone] = [new FakeConn(), new FakeConn(), new FakeConn()];
  rp.pause(gone);
  gone.destroyed = true;
  rp.pause(a);
  clock.advance(MAX_PAUSE_MS / 2);
  rp.pause(b);
  clock.advance(MAX_PAUSE_MS / 2 + 100);
  assert.equal(a.reading, true);
  assert.equal(b.reading, false);
  assert.equal(gone.reading, false, 'a closed connection is never resumed');
  clock.advance(MAX_PAUSE_MS / 2);
  assert.equal(b.reading, true);
  assert.equal(rp.size, 0);
  assert.equal(clock.pendingTimers, 0, 'no timer is left once nothing is paused');
});

test('resumeAll reads every paused connection again; a destroyed one is never paused', () => {
  const clock = new ManualClock();
  const rp = new ReadPause(clock);
  const conns = Array.from({ length: 5 }, () => new FakeConn());
  for (const c of conns) rp.pause(c);
  const dead = new FakeConn();
  dead.destroyed = true;
  rp.pause(dead);
  assert.equal(dead.reading, true);
  rp.resumeAll();
  assert.ok(conns.every((c) => c.reading));
  assert.equal(rp.size, 0);
  assert.equal(clock.pendingTimers, 0);
});
