import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { RestartTracker, defaultRestartPolicy } from '../../src/cluster/backoff.js';

test('backoff grows x1.5 from 100 ms and stops at the 15 s cap', () => {
  const clock = new ManualClock();
  // A wide crash-loop window would end this early; widen the failure budget instead.
  const t = new RestartTracker({ ...defaultRestartPolicy, crashLoopFailures: 1000 }, clock);
  const delays: number[] = [];
  for (let i = 0; i < 14; i++) {
    const d = t.failed('exited with code 1');
    assert.equal(d.action, 'restart');
    if (d.action === 'restart') delays.push(d.delayMs);
    clock.advance(20_000);
  }
  assert.deepEqual(delays.slice(0, 4), [100, 150, 225, 337.5]);
  assert.equal(Math.max(...delays), 15_000);
  assert.equal(delays.at(-1), 15_000);
  assert.ok(delays.every((d, i) => i === 0 || d >= delays[i - 1]!));
});

test('backoff resets after 30 s of health, not after 29 s', () => {
  const clock = new ManualClock();
  const t = new RestartTracker(defaultRestartPolicy, clock);
  t.failed('x');
  clock.advance(11_000);
  t.failed('x');
  clock.advance(11_000);
  t.healthy();
  clock.advance(29_000);
  const notYet = t.failed('x');
  assert.deepEqual(notYet, { action: 'restart', delayMs: 225, attempt: 3 });
  clock.advance(11_000);
  t.healthy();
  clock.advance(30_000);
  assert.deepEqual(t.failed('x'), { action: 'restart', delayMs: 100, attempt: 1 });
});

test('5 failures within 10 s is a crash loop with a reason; spread out they are not', () => {
  const clock = new ManualClock();
  const t = new RestartTracker(defaultRestartPolicy, clock);
  for (let i = 0; i < 4; i++) {
    assert.equal(t.failed('exited with code 1').action, 'restart');
    clock.advance(2000);
  }
  const d = t.failed('exited with code 1');
  assert.equal(d.action, 'fail');
  if (d.action === 'fail') assert.match(d.reason, /crash loop: 5 failures within 10s \(last: exited with code 1\)/);

  const spread = new RestartTracker(defaultRestartPolicy, new ManualClock());
  const c2 = new ManualClock();
  const t2 = new RestartTracker(defaultRestartPolicy, c2);
  for (let i = 0; i < 20; i++) {
    assert.equal(t2.failed('x').action, 'restart', `failure ${i} spaced 2.6 s apart`);
    c2.advance(2600);
  }
  assert.ok(spread);
});
