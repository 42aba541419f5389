// Hosts that come and go, the pure parts: the retry backoff of a lost host (doubling, capped at 20 s,
// jittered, reset), and what is said when things go wrong: a command over SSH that failed (never an
// empty cause), a login that timed out, a connection lost to a signal, a replica whose host could
// not be reached at a stop, a pending replica placed nowhere, a down host's next attempt, and a
// heartbeat that a replica takes without a word.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import type { Logger } from '../../src/common/log.js';
import { HOST_RETRY_CAP_MS, hostRetryDelayMs } from '../../src/cluster/hosts/retry-delay.js';
import { classifySshFailure, commandFailureCause, lostConnectionCause } from '../../src/cluster/hosts/ssh-errors.js';
import { exitWording } from '../../src/cluster/replicas/child-wording.js';
import { ReplicaSlot } from '../../src/cluster/replicas/slot.js';
import { renderHostDown } from '../../src/cli/status/render.js';
import { handleReplicaControl } from '../../src/replica/reconfigure.js';
import type { ReplicaContext } from '../../src/replica/context.js';

test('a lost host is retried after a doubling, jittered wait, capped at 20 s, from the keep-alive period again after a success', () => {
  const low = () => 0;
  const high = () => 0.999999;
  // The ceiling doubles from the base per failure in a row; the jitter keeps [ceiling / 2, ceiling).
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((f) => hostRetryDelayMs(f, 2000, low)),
    [1000, 2000, 4000, 8000, 10_000], // the last ceiling, 32 s, is capped at 20 s
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((f) => hostRetryDelayMs(f, 2000, high)),
    [2000, 4000, 8000, 16_000],
  );
  // Capped: never more than 20 s, however many failures (no overflow either).
  for (const f of [4, 5, 10, 100, 10_000]) {
    assert.ok(hostRetryDelayMs(f, 2000, high) <= HOST_RETRY_CAP_MS, `${f} failures`);
    assert.equal(hostRetryDelayMs(f, 2000, low), HOST_RETRY_CAP_MS / 2);
  }
  assert.equal(HOST_RETRY_CAP_MS, 20_000);
  // Jitter: different draws, different waits (two hosts lost together are not retried together).
  const draws = [0.1, 0.5, 0.9].map((r) => hostRetryDelayMs(3, 1000, () => r));
  assert.deepEqual(draws, [4400, 6000, 7600]);
  // After a success the count is 0 again: the first wait is back at the base.
  assert.ok(hostRetryDelayMs(0, 5000, high) <= 5000);
});

test('a command over SSH that failed names its cause: never an empty one', () => {
  const ended = (o: Partial<Parameters<typeof commandFailureCause>[0]>) => ({
    code: 1,
    stderr: '',
    timedOut: false,
    ...o,
  });
  // The frozen host: killed at the time limit, nothing on stderr.
  assert.equal(commandFailureCause(ended({ code: null, timedOut: true }), 30_000), 'no answer within 30s');
  assert.equal(commandFailureCause(ended({ code: null, timedOut: true }), 1500), 'no answer within 1.5s');
  assert.equal(commandFailureCause(ended({ stderr: 'bash: node: not found\n\n' }), 30_000), 'bash: node: not found');
  assert.equal(commandFailureCause(ended({ code: 255, stderr: '' }), 30_000), 'exit 255, with no message');
  assert.equal(commandFailureCause(ended({ code: null }), 30_000), 'ended by a signal, with no message');
  assert.equal(commandFailureCause(ended({ code: null, spawnError: 'ENOENT' }), 30_000), 'ssh could not start: ENOENT');
});

test('a login that does not finish in time says it timed out; a lost connection names the signal, not "exited with null"', () => {
  const c = {
    hostName: 'h1',
    target: { destination: 'ops@10.0.0.5', user: 'ops', hostname: '10.0.0.5', port: 22 },
    knownHostsFile: '/k',
    trustCommand: 'serve hosts trust h1',
    connectTimeoutMs: 3000,
  };
  const f = classifySshFailure('', true, c, 13_000);
  assert.equal(f.kind, 'unreachable');
  assert.match(f.message, /^host h1 \(.*\): cannot connect \(timed out: the login did not finish within 13s\): check/);
  // Without the login limit it is the connect timeout's wording, as before.
  assert.match(classifySshFailure('', true, c).message, /cannot connect \(no answer within 3s\)/);
  assert.equal(lostConnectionCause(undefined, '', null, 'SIGKILL'), 'ssh was ended by SIGKILL');
  assert.equal(lostConnectionCause(undefined, '', 255, null), 'ssh exited with 255');
  assert.equal(lostConnectionCause(undefined, 'Connection reset by peer\n', 255, null), 'Connection reset by peer');
  assert.equal(
    lostConnectionCause('no answer to 4 heartbeats in 4s', 'x', null, 'SIGKILL'),
    'no answer to 4 heartbeats in 4s',
  );
});

test('a replica whose host could not be reached at a stop says so, not "killed by SIGKILL"', () => {
  const lost = exitWording({
    code: null,
    signal: 'SIGKILL',
    lost: 'lost the SSH connection to ops@h1 (Connection refused)',
  });
  assert.match(lost, /^its host could not be reached, so its end is not known \(lost the SSH connection/);
  assert.doesNotMatch(lost, /killed by/);
  assert.equal(exitWording({ code: null, signal: 'SIGKILL' }), 'killed by SIGKILL');
  assert.equal(exitWording({ code: 3, signal: null }), 'exited with code 3');
});

test('a pending replica is placed nowhere in status, whatever host it last had', () => {
  const slot = new ReplicaSlot(1, new ManualClock());
  slot.host = 'h1';
  slot.gpus = [0];
  slot.child = { ...slot.child, phase: 'pending', reason: 'does not fit: down: h1 (lost)' };
  const s = slot.toStatus(0);
  assert.equal(s.state, 'pending');
  assert.equal(s.host, undefined);
  assert.equal(s.gpus, undefined);
  assert.equal(s.reason, 'does not fit: down: h1 (lost)');
  slot.child = { ...slot.child, phase: 'restarting' };
  assert.equal(slot.toStatus(0).host, 'h1', 'a restarting replica keeps its host');
});

test('a down host shows its next attempt', () => {
  const h = {
    name: 'h1',
    state: 'down' as const,
    reason: 'lost the SSH connection',
    cpus: 1,
    memoryBytes: 0,
    gpus: [],
  };
  assert.equal(
    renderHostDown({ ...h, nextAttemptInMs: 3900 }),
    '  h1 down: lost the SSH connection; next attempt in 3.90s',
  );
  assert.equal(renderHostDown(h), '  h1 down: lost the SSH connection');
});

test('a replica takes the heartbeat without a word, and still warns about other control lines', () => {
  const warnings: string[] = [];
  const log: Logger = {
    debug() {},
    info() {},
    warn: (msg) => void warnings.push(msg),
    error() {},
    child: () => log,
  };
  const ctx = { log, state: 'ready' } as unknown as ReplicaContext;
  handleReplicaControl(ctx, Promise.resolve(), { type: 'heartbeat' }, () => {});
  assert.deepEqual(warnings, []);
  handleReplicaControl(ctx, Promise.resolve(), { type: 'nonsense' }, () => {});
  assert.equal(warnings.length, 1);
});
