// A replica's TCP frame address (an SSH host's `--frame-port 0`) on its way to the gateway: from its
// ready event into its slot, the gateway's replica set and the journal; from an adopted replica's
// hello likewise; and cleared when the slot starts a new process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import type { ProcessEvent } from '../../src/common/wire.js';
import type { LaunchedProcess, LaunchSpec } from '../../src/cluster/launchers/index.js';
import { adoptSlot, launchSlot, type SlotProcessHost } from '../../src/cluster/replicas/slot-process.js';
import { adoptableOf, replicaEndpoints } from '../../src/cluster/replicas/slot-views.js';
import { ReplicaSlot } from '../../src/cluster/replicas/slot.js';

function fakeProc(): LaunchedProcess {
  return {
    pid: 4242,
    remote: true,
    controlSocket: '/home/ops/.serve/run/k/replica-1.sock',
    startTicks: 77,
    exited: new Promise(() => undefined),
    send: () => undefined,
    stop: () => new Promise(() => undefined),
    signal: () => undefined,
  };
}

function fakeHost(onStart: (spec: LaunchSpec) => void): SlotProcessHost {
  return {
    launcher: { start: (spec) => (onStart(spec), fakeProc()) },
    replicaLaunch: () => ({
      command: 'node',
      args: ['serve.js', 'replica', '--frame-port', '0'],
      stdinLines: [],
      host: 'gpu-1',
    }),
    onOutput: () => undefined,
    log: {
      debug() {},
      info() {},
      warn() {},
      error() {},
      child() {
        return this;
      },
    } as never,
    dispatch: (slot, e) => {
      if (e.type === 'ready') slot.child = { ...slot.child, phase: 'ready' };
    },
    listening: () => undefined,
    lost: () => undefined,
  };
}

test("a started replica's frameAddress reaches the gateway's set and the journal; a restart clears it", () => {
  let onEvent: ((e: ProcessEvent) => void) | undefined;
  const host = fakeHost((spec) => (onEvent = (e) => spec.onEvent(e)));
  const slot = new ReplicaSlot(1, new ManualClock(), 1);
  slot.host = 'gpu-1';
  slot.child = { ...slot.child, phase: 'starting' };
  launchSlot(host, slot, 1);
  onEvent!({ event: 'listening', host: '10.0.0.5', port: 40211, url: 'http://10.0.0.5:40211' });
  onEvent!({ event: 'ready', modelDigest: 'sha256:abc', frameAddress: '10.0.0.5:40212' });
  assert.equal(replicaEndpoints([slot])[0]?.frameAddress, '10.0.0.5:40212');
  assert.equal(replicaEndpoints([slot])[0]?.frameSocket, undefined);
  assert.equal(adoptableOf(slot)?.frameAddress, '10.0.0.5:40212');
  launchSlot(host, slot, 2);
  assert.equal(slot.frameAddress, undefined, 'a new process reports its own');
});

test('an adopted replica keeps the frameAddress its hello says', () => {
  const host = fakeHost(() => undefined);
  const slot = new ReplicaSlot(3, new ManualClock(), 1);
  adoptSlot(
    host,
    slot,
    {
      index: 3,
      modelVersion: 1,
      host: 'gpu-1',
      url: 'http://10.0.0.5:40211',
      port: 40211,
      frameAddress: '10.0.0.5:40212',
      open: () => fakeProc(),
    },
    1,
  );
  slot.child = { ...slot.child, phase: 'ready' };
  assert.deepEqual(
    replicaEndpoints([slot]).map((e) => [e.id, e.url, e.frameAddress]),
    [['replica-3', 'http://10.0.0.5:40211', '10.0.0.5:40212']],
  );
  assert.equal(adoptableOf(slot)?.frameAddress, '10.0.0.5:40212');
});

test('a replica on an SSH host that is not ready yet leaves its start time there in the journal, and nothing to adopt', () => {
  const host = fakeHost(() => undefined);
  const slot = new ReplicaSlot(2, new ManualClock(), 1);
  slot.host = 'gpu-1';
  slot.child = { ...slot.child, phase: 'starting' };
  launchSlot(host, slot, 1);
  // Its start time lets a later `serve down` or adoption tell it is still ours, and stop it.
  assert.deepEqual(adoptableOf(slot), { startTicks: 77 });
  slot.child = { ...slot.child, phase: 'ready' };
  assert.equal(adoptableOf(slot)?.controlSocket, '/home/ops/.serve/run/k/replica-1.sock');
  assert.equal(adoptableOf(slot)?.startTicks, 77);
});
