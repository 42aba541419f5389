// The supervised-child state machine on a manual clock: starts, readiness, probes, backoff growth
// and reset, crash loops (fast failures and starts that hang), the long failed retry, drains and
// lost hosts. Pure: no process, no timer, no sleep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  initialChild,
  type ChildAction,
  type ChildEvent,
  type ChildPolicy,
  type ChildState,
} from '../../src/cluster/replicas/child-state.js';
import { transition } from '../../src/cluster/replicas/supervised-child.js';

const policy: ChildPolicy = {
  restart: {
    initialBackoffMs: 100,
    backoffMultiplier: 1.5,
    maxBackoffMs: 15_000,
    resetAfterMs: 30_000,
    crashLoopFailures: 5,
    crashLoopWindowMs: 10_000,
    failedRetryMs: 300_000,
  },
  startupTimeoutMs: 30_000,
  failureThreshold: 3,
};

/** Drives one child through events at given times, keeping every action. */
class Run {
  state: ChildState = initialChild();
  actions: ChildAction[] = [];
  constructor(private readonly p: ChildPolicy = policy) {}
  on(event: ChildEvent, atMs: number): ChildAction[] {
    const r = transition(this.state, event, atMs, this.p);
    this.state = r.state;
    this.actions.push(...r.actions);
    return r.actions;
  }
  types(actions: ChildAction[]): string[] {
    return actions.map((a) => a.type);
  }
}

/** Starts and makes ready at `t`. */
function readyAt(run: Run, t: number): void {
  run.on({ type: 'place' }, t);
  run.on({ type: 'ready' }, t);
}

test('a placed child launches with a startup timer; ready disarms it and asks for routing', () => {
  const run = new Run();
  const a = run.on({ type: 'place' }, 1000);
  assert.deepEqual(a, [{ type: 'launch' }, { type: 'arm', atMs: 31_000 }]);
  assert.equal(run.state.phase, 'starting');
  const b = run.on({ type: 'ready' }, 1200);
  assert.deepEqual(run.types(b), ['disarm', 'report', 'routing']);
  assert.equal(run.state.phase, 'ready');
  assert.equal(run.state.readySinceMs, 1200);
});

test('backoff grows x1.5 from 100 ms and stops at the 15 s cap', () => {
  const run = new Run({ ...policy, restart: { ...policy.restart, crashLoopFailures: 1000 } });
  const delays: number[] = [];
  let t = 0;
  run.on({ type: 'place' }, t);
  for (let i = 0; i < 14; i++) {
    run.on({ type: 'ready' }, t);
    const a = run.on({ type: 'exited', how: 'exited with code 1' }, (t += 1000));
    const arm = a.find((x) => x.type === 'arm') as { atMs: number };
    delays.push(arm.atMs - t);
    assert.equal(run.state.phase, 'restarting');
    run.on({ type: 'timer', atMs: arm.atMs }, (t = arm.atMs));
    assert.equal(run.state.phase, 'starting');
    t += 20_000;
  }
  assert.deepEqual(delays.slice(0, 4), [100, 150, 225, 337.5]);
  assert.equal(delays.at(-1), 15_000);
  assert.equal(run.state.restarts, 14);
});

test('backoff resets after reset_after of health, not a moment before', () => {
  for (const [healthyMs, expected] of [
    [30_000, 100],
    [29_999, 150],
  ] as const) {
    const run = new Run();
    run.on({ type: 'place' }, 0);
    run.on({ type: 'exited', how: 'x' }, 10);
    run.on({ type: 'timer', atMs: 110 }, 110);
    readyAt(run, 200);
    const a = run.on({ type: 'exited', how: 'x' }, 200 + healthyMs);
    const arm = a.find((x) => x.type === 'arm') as { atMs: number };
    assert.equal(arm.atMs - (200 + healthyMs), expected, `healthy for ${healthyMs} ms`);
  }
});

test('five failures within the window are a crash loop: failed, with the long retry armed and the last reason', () => {
  const run = new Run();
  let t = 0;
  run.on({ type: 'place' }, t);
  for (let i = 0; i < 4; i++) {
    run.on({ type: 'fatal', error: 'model.onnx is not a loadable ONNX model' }, (t += 10));
    run.on({ type: 'exited', how: 'exited with code 2' }, (t += 10));
    assert.equal(run.state.phase, 'restarting');
    run.on({ type: 'timer', atMs: run.state.timerAtMs! }, (t = run.state.timerAtMs!));
  }
  run.on({ type: 'fatal', error: 'model.onnx is not a loadable ONNX model' }, (t += 10));
  const a = run.on({ type: 'exited', how: 'exited with code 2' }, (t += 10));
  assert.equal(run.state.phase, 'failed');
  assert.match(
    run.state.reason!,
    /^crash loop: 5 failures within 10s \(last: fatal: model.onnx is not a loadable ONNX model\)$/,
  );
  assert.deepEqual(
    a.find((x) => x.type === 'arm'),
    { type: 'arm', atMs: t + 300_000 },
  );
  // The retry starts from scratch, through placement.
  const retry = run.on({ type: 'timer', atMs: t + 300_000 }, t + 300_000);
  assert.ok(retry.some((x) => x.type === 'place'));
  assert.equal(run.state.phase, 'pending');
  run.on({ type: 'place' }, t + 300_001);
  run.on({ type: 'exited', how: 'exited with code 2' }, t + 300_002);
  assert.equal(run.state.phase, 'restarting', 'one failure after the retry is not a crash loop again');
});

test('failures spread wider than the window are not a crash loop', () => {
  const run = new Run();
  let t = 0;
  run.on({ type: 'place' }, t);
  for (let i = 0; i < 8; i++) {
    run.on({ type: 'ready' }, t);
    run.on({ type: 'exited', how: 'x' }, (t += 3000));
    assert.equal(run.state.phase, 'restarting', `failure ${i + 1}`);
    run.on({ type: 'timer', atMs: run.state.timerAtMs! }, (t = run.state.timerAtMs!));
  }
});

test('starts that hang are killed at the startup timeout and, five in a row, are a crash loop however long they take', () => {
  const run = new Run();
  let t = 0;
  run.on({ type: 'place' }, t);
  for (let i = 1; i <= 5; i++) {
    const kill = run.on({ type: 'timer', atMs: run.state.timerAtMs! }, (t += 30_000));
    assert.ok(
      kill.some((x) => x.type === 'kill'),
      'a hung start is killed',
    );
    assert.equal(run.state.phase, 'unhealthy');
    run.on({ type: 'exited', how: 'killed by SIGKILL' }, (t += 5));
    if (i < 5) {
      assert.equal(run.state.phase, 'restarting');
      run.on({ type: 'timer', atMs: run.state.timerAtMs! }, (t = run.state.timerAtMs!));
    }
  }
  assert.equal(run.state.phase, 'failed');
  assert.match(run.state.reason!, /5 starts in a row never became ready \(last: not ready within 30000ms/);
});

test('probes: failures below the threshold keep it; the threshold kills it; a success resets the count', () => {
  const run = new Run();
  readyAt(run, 0);
  run.on({ type: 'probe', ok: false, error: 'answered 503' }, 500);
  run.on({ type: 'probe', ok: false, error: 'answered 503' }, 1000);
  run.on({ type: 'probe', ok: true }, 1500);
  run.on({ type: 'probe', ok: false, error: 'answered 503' }, 2000);
  run.on({ type: 'probe', ok: false, error: 'answered 503' }, 2500);
  assert.equal(run.state.phase, 'ready');
  const a = run.on({ type: 'probe', ok: false, error: 'no answer within 200ms' }, 3000);
  assert.equal(run.state.phase, 'unhealthy');
  assert.deepEqual(run.types(a), ['disarm', 'report', 'routing', 'kill']);
  run.on({ type: 'exited', how: 'killed by SIGKILL' }, 3010);
  assert.equal(run.state.reason, 'failed 3 health probes in a row (no answer within 200ms)');
});

test('over a resource limit it is drained (not killed) and replaced', () => {
  const run = new Run();
  readyAt(run, 0);
  const a = run.on({ type: 'over-limit', why: 'RSS 2.1GiB over its memory limit 2.0GiB' }, 10);
  assert.deepEqual(run.types(a), ['disarm', 'report', 'routing', 'drain']);
  run.on({ type: 'exited', how: 'exited with code 0' }, 20);
  assert.equal(run.state.phase, 'restarting');
});

test('retire drains a running child and removes it once it exits; a child without a process goes at once', () => {
  const run = new Run();
  readyAt(run, 0);
  assert.deepEqual(run.types(run.on({ type: 'retire' }, 10)), ['disarm', 'routing', 'drain']);
  assert.equal(run.state.phase, 'draining');
  assert.deepEqual(run.types(run.on({ type: 'exited', how: 'exited with code 0' }, 20)), [
    'disarm',
    'routing',
    'remove',
  ]);
  assert.equal(run.state.phase, 'stopped');
  const pending = new Run();
  assert.deepEqual(pending.types(pending.on({ type: 'retire' }, 0)), ['disarm', 'routing', 'remove']);
  const backingOff = new Run();
  backingOff.on({ type: 'place' }, 0);
  backingOff.on({ type: 'exited', how: 'x' }, 1);
  assert.deepEqual(backingOff.types(backingOff.on({ type: 'retire' }, 2)), ['disarm', 'routing', 'remove']);
  assert.deepEqual(backingOff.on({ type: 'timer', atMs: 101 }, 1000), [], 'a stale timer does nothing');
});

test('a lost host: out of routing, killed, placed again; its old process exit is ignored', () => {
  const run = new Run();
  readyAt(run, 0);
  const a = run.on({ type: 'host-lost', why: 'host gpu-1 stopped answering ssh keep-alives' }, 10);
  assert.deepEqual(run.types(a), ['disarm', 'report', 'routing', 'kill', 'place']);
  assert.equal(run.state.phase, 'lost');
  assert.deepEqual(run.on({ type: 'exited', how: 'killed by SIGKILL' }, 11), []);
  run.on({ type: 'place' }, 12);
  assert.equal(run.state.phase, 'starting');
  assert.equal(run.state.restarts, 1);
});

test('fail fast: a child that ends before it was ever ready is failed at once, with no retry', () => {
  const run = new Run({ ...policy, failFastBeforeFirstReady: true });
  run.on({ type: 'place' }, 0);
  run.on({ type: 'fatal', error: 'port 8000 on 127.0.0.1 is already in use' }, 5);
  const a = run.on({ type: 'exited', how: 'exited with code 2' }, 6);
  assert.equal(run.state.phase, 'failed');
  assert.equal(run.state.timerAtMs, undefined);
  assert.ok(!a.some((x) => x.type === 'arm'));
  assert.match(run.state.reason!, /port 8000/);
});

test('events that do not apply to the phase change nothing', () => {
  const run = new Run();
  for (const e of [
    { type: 'ready' },
    { type: 'probe', ok: false },
    { type: 'exited', how: 'x' },
    { type: 'timer', atMs: 0 },
  ] as ChildEvent[]) {
    const before = run.state;
    assert.deepEqual(run.on(e, 0), []);
    assert.equal(run.state, before);
  }
});

test("the last start's own first error line stays through the restart until the child is ready", () => {
  const run = new Run();
  run.on({ type: 'place' }, 0);
  run.on(
    {
      type: 'fatal',
      error: 'Load model from /m/model.onnx failed:Protobuf parsing failed.\n    at Session.create (x.js:1)',
    },
    10,
  );
  const a = run.on({ type: 'exited', how: 'exited with code 1' }, 20);
  assert.equal(run.state.lastError, 'Load model from /m/model.onnx failed:Protobuf parsing failed.');
  const arm = a.find((x) => x.type === 'arm') as { atMs: number };
  run.on({ type: 'timer', atMs: arm.atMs }, arm.atMs);
  // Starting again: `reason` is gone, the last start's error is not.
  assert.deepEqual(
    [run.state.phase, run.state.restarts, run.state.reason, run.state.lastError],
    ['starting', 1, undefined, 'Load model from /m/model.onnx failed:Protobuf parsing failed.'],
  );
  // Without words of its own, how it ended.
  run.on({ type: 'exited', how: 'killed by SIGSEGV' }, arm.atMs + 10);
  assert.equal(run.state.lastError, 'killed by SIGSEGV');
  run.on({ type: 'timer', atMs: run.state.timerAtMs! }, run.state.timerAtMs!);
  run.on({ type: 'ready' }, run.state.timerAtMs! + 1);
  assert.equal(run.state.lastError, undefined);
});
