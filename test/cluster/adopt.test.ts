// Re-adoption's pure parts: the verdict on each child of a dead controller (every check, and whether
// a child that fails one is killed or left alone), and the supervised child's `adopted` transition
// (ready at once, no launch, no timer; only from pending). No process, no socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRemoteProc, procCommand } from '../../src/cluster/controller/adopt-remote.js';
import { looksLikeChild, verifyChild, type ChildFacts } from '../../src/cluster/controller/adopt-verify.js';
import { initialChild, type ChildPolicy } from '../../src/cluster/replicas/child-state.js';
import { transition } from '../../src/cluster/replicas/supervised-child.js';
import type { JournalChild } from '../../src/common/controller-journal.js';

const expect = { gatewayPort: 8000, modelVersion: 2, modelDigest: 'sha256:abc' };
const replica: JournalChild = {
  id: 'replica-1',
  pid: 4242,
  startTicks: 777,
  controlSocket: '/state/run/replica-1.ab12.sock',
  modelVersion: 2,
  modelDigest: 'sha256:abc',
};
const gateway: JournalChild = {
  id: 'gateway',
  pid: 4240,
  startTicks: 770,
  controlSocket: '/state/run/gateway.cd.sock',
};
const listening = { host: '127.0.0.1', port: 41000, url: 'http://127.0.0.1:41000' };

function facts(c: JournalChild, over: Partial<ChildFacts> = {}, hello: Record<string, unknown> = {}): ChildFacts {
  const role = c.id === 'gateway' ? 'gateway' : 'replica';
  return {
    alive: true,
    startTicks: c.startTicks,
    cmdline: ['/usr/bin/node', '/app/dist/src/cli/main.js', role, '--settings-stdin'],
    hello: {
      role,
      pid: c.pid,
      listening: role === 'gateway' ? { ...listening, port: 8000 } : listening,
      ready: { modelDigest: 'sha256:abc' },
      draining: false,
      ...hello,
    },
    ...over,
  } as ChildFacts;
}

test('a local replica and gateway that pass every check are adopted', () => {
  assert.deepEqual(verifyChild(replica, facts(replica), expect), { adopt: true });
  assert.deepEqual(verifyChild(gateway, facts(gateway), expect), { adopt: true });
  // Port 0 in the profile: the gateway keeps the port it has.
  const g = facts(gateway, {}, { listening });
  assert.deepEqual(verifyChild(gateway, g, { ...expect, gatewayPort: 0 }), { adopt: true });
});

test('a pid that is no longer ours (gone, reused, not serve) is refused and never killed', () => {
  const cases: Array<[JournalChild, ChildFacts, RegExp]> = [
    [replica, facts(replica, { alive: false }), /exited/],
    [replica, facts(replica, { startTicks: 778 }), /another process/],
    [{ ...replica, startTicks: undefined }, facts(replica), /another process/],
    [replica, facts(replica, { cmdline: ['/usr/bin/python3', 'x.py'] }), /not `serve replica`/],
    [gateway, facts(gateway, { cmdline: ['node', '/app/dist/src/cli/main.js', 'replica'] }), /not `serve gateway`/],
    [{ ...replica, host: 'gpu-a' }, facts(replica), /SSH host gpu-a/],
  ];
  for (const [c, f, why] of cases) {
    const v = verifyChild(c, f, expect);
    assert.equal(v.adopt, false);
    assert.ok(!v.adopt && !v.kill, `not killed: ${JSON.stringify(v)}`);
    assert.match(!v.adopt ? v.why : '', why);
  }
});

test('our own child that fails a check is refused and killed (replaced, never trusted)', () => {
  const cases: Array<[JournalChild, ChildFacts, RegExp]> = [
    [replica, facts(replica, { hello: { error: 'no hello within 1000ms' } }), /no hello within 1000ms/],
    [{ ...replica, controlSocket: undefined }, facts(replica), /no control socket/],
    [replica, facts(replica, {}, { pid: 9 }), /answers for pid 9/],
    [replica, facts(replica, {}, { role: 'gateway' }), /answers as a gateway/],
    [replica, facts(replica, {}, { draining: true }), /draining/],
    [replica, facts(replica, {}, { listening: null }), /does not listen/],
    [replica, facts(replica, {}, { ready: null }), /not ready/],
    [replica, facts(replica, {}, { ready: { modelDigest: 'sha256:other' } }), /model bytes \(sha256:other\)/],
    [replica, facts(replica, {}, { ready: {} }), /no digest/],
    // A rollout's new version: the rollout is rolled back, its replicas replaced.
    [{ ...replica, modelVersion: 3 }, facts(replica), /runs model version 3, version 2 is in force/],
    [gateway, facts(gateway, {}, { listening }), /port 41000, the profile says 8000/],
  ];
  for (const [c, f, why] of cases) {
    const v = verifyChild(c, f, expect);
    assert.ok(!v.adopt && v.kill, `killed: ${JSON.stringify(v)}`);
    assert.match(!v.adopt ? v.why : '', why);
  }
});

test('looksLikeChild knows serve replica and serve gateway by the CLI entry and command', () => {
  assert.ok(looksLikeChild(['node', '/a/bin/serve.js', 'gateway', '--hold'], 'gateway'));
  assert.ok(looksLikeChild(['node', '/a/dist/src/cli/main.js', 'replica'], 'replica'));
  assert.ok(!looksLikeChild(['node', '/a/dist/src/cli/main.js', 'up'], 'replica'));
  assert.ok(!looksLikeChild(['node', '/a/not-main.js', 'replica'], 'replica'));
});

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

test('an adopted child is ready at once: no launch, no startup timer, routed, reported as adopted', () => {
  const r = transition(initialChild(), { type: 'adopted' }, 5000, policy);
  assert.equal(r.state.phase, 'ready');
  assert.equal(r.state.everReady, true);
  assert.equal(r.state.readySinceMs, 5000);
  assert.equal(r.state.timerAtMs, undefined);
  assert.deepEqual(
    r.actions.map((a) => a.type),
    ['disarm', 'report', 'routing'],
  );
  const report = r.actions.find((a) => a.type === 'report');
  assert.ok(report?.type === 'report' && report.kind === 'adopted');
  // Then supervised like any ready child: failed probes end it, its exit restarts it.
  let s = r.state;
  for (let i = 0; i < 3; i++) s = transition(s, { type: 'probe', ok: false, error: 'timeout' }, 6000 + i, policy).state;
  assert.equal(s.phase, 'unhealthy');
  const exited = transition(s, { type: 'exited', how: 'killed by SIGKILL' }, 7000, policy);
  assert.equal(exited.state.phase, 'restarting');
});

test('adopted is ignored unless the child is pending (it never replaces a running process)', () => {
  const starting = transition(initialChild(), { type: 'place' }, 0, policy).state;
  assert.equal(starting.phase, 'starting');
  const r = transition(starting, { type: 'adopted' }, 10, policy);
  assert.equal(r.state, starting);
  assert.deepEqual(r.actions, []);
});

test('a detached replica on an SSH host is judged only on what was found there (its /proc over SSH), by the same checks', () => {
  const remote: JournalChild = { ...replica, host: 'gpu-a', controlSocket: '/root/.serve/run/k/replica-1.ab.sock' };
  const stat = '4242 (node) S 1 4242 4242 0 -1 4194560 9 0 0 0 1 0 0 0 20 0 11 0 777 1000 50';
  const found = parseRemoteProc(0, `${stat}\n@argv\n/usr/bin/node\n/opt/serve/bin/serve.js\nreplica\n--replica-id\n`);
  assert.deepEqual(found, {
    alive: true,
    startTicks: 777,
    cmdline: ['/usr/bin/node', '/opt/serve/bin/serve.js', 'replica', '--replica-id'],
    overSsh: true,
  });
  const hello = facts(remote).hello;
  assert.deepEqual(verifyChild(remote, { ...found, hello }, expect), { adopt: true });
  // A name with ") " in it still gives the start time.
  assert.equal(parseRemoteProc(0, `4242 (a) b) S ${stat.split(' S ')[1]}\n@argv\nnode\n`).startTicks, 777);
  // Gone there (cat failed), or a later process with its pid: never killed.
  const gone = verifyChild(remote, { ...parseRemoteProc(1, ''), hello }, expect);
  assert.deepEqual(gone, { adopt: false, why: 'it has exited', kill: false });
  const other = verifyChild(remote, { ...found, startTicks: 778, hello }, expect);
  assert.equal(other.adopt === false && other.kill, false);
  // Ours, but its digest differs: killed there and replaced.
  const stale = verifyChild(
    remote,
    { ...found, hello: { ...hello, ready: { modelDigest: 'sha256:old' } } as never },
    expect,
  );
  assert.equal(stale.adopt === false && stale.kill, true);
  assert.equal(procCommand(4242), "cat /proc/4242/stat && echo @argv && tr '\\0' '\\n' < /proc/4242/cmdline");
  assert.throws(() => procCommand(-1), /bad pid/);
});
