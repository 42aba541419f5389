import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeReplicas, type HostCapacity } from '../../src/cluster/placement.js';

const GiB = 1024 ** 3;
const laptop: HostCapacity = { name: 'localhost', cpus: 2, memoryBytes: 8 * GiB, gpus: 0 };

test('replicas fill the host by CPUs; the rest are pending with the reason', () => {
  const r = placeReplicas([laptop], { cpus: 1, memoryBytes: 2 * GiB, gpus: 0.5 }, 3);
  assert.deepEqual(r.slots.slice(0, 2), [{ host: 'localhost' }, { host: 'localhost' }]);
  assert.equal(r.slots[2]!.host, undefined);
  assert.match(r.slots[2]!.reason!, /needs 1 CPUs, 0 free on localhost/);
  assert.deepEqual(r.warnings, []);
});

test('memory can be the short resource', () => {
  const r = placeReplicas([laptop], { cpus: 0.1, memoryBytes: 3 * GiB, gpus: 0 }, 3);
  assert.equal(r.slots.filter((s) => s.host).length, 2);
  assert.match(r.slots[2]!.reason!, /needs 3GiB memory, 2GiB free/);
});

test('fractional CPUs add up without floating-point refusals', () => {
  const r = placeReplicas([laptop], { cpus: 0.1, memoryBytes: 1, gpus: 0 }, 21);
  assert.equal(r.slots.filter((s) => s.host).length, 20);
});

test('GPUs count only on hosts that have them, and stay counted once used up', () => {
  const gpuHost: HostCapacity = { name: 'gpu', cpus: 64, memoryBytes: 256 * GiB, gpus: 1 };
  const r = placeReplicas([gpuHost], { cpus: 1, memoryBytes: GiB, gpus: 0.5 }, 3);
  assert.equal(r.slots.filter((s) => s.host).length, 2);
  assert.match(r.slots[2]!.reason!, /needs 0.5 GPUs, 0 free on gpu/);
});

test('oversubscribe places every replica and warns for each one that did not fit', () => {
  const r = placeReplicas([laptop], { cpus: 2, memoryBytes: 2 * GiB, gpus: 0 }, 3, { oversubscribe: true });
  assert.ok(r.slots.every((s) => s.host === 'localhost'));
  assert.deepEqual(r.slots.map((s) => s.oversubscribed ?? false), [false, true, true]);
  assert.equal(r.warnings.length, 2);
  assert.match(r.warnings[0]!, /replica 2 oversubscribes localhost \(needs 2 CPUs/);
});

test('a second host takes what the first cannot', () => {
  const r = placeReplicas([laptop, { ...laptop, name: 'b' }], { cpus: 2, memoryBytes: GiB, gpus: 0 }, 3);
  assert.deepEqual(r.slots.map((s) => s.host), ['localhost', 'b', undefined]);
});

test('local capacity: the profile wins, else the OS; GPUs are the driver folders, 0 without one', async () => {
  const { localCapacity } = await import('../../src/cluster/capacity.js');
  const { mkdtempSync, mkdirSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const dir = mkdtempSync(`${os.tmpdir()}/gpus-`);
  try {
    mkdirSync(`${dir}/0000:01:00.0`);
    mkdirSync(`${dir}/0000:02:00.0`);
    assert.deepEqual(localCapacity({ cpus: 3, memoryBytes: 5, gpus: 1 }, dir), { name: 'localhost', cpus: 3, memoryBytes: 5, gpus: 1 });
    const detected = localCapacity({}, dir);
    assert.equal(detected.cpus, os.availableParallelism());
    assert.equal(detected.memoryBytes, os.totalmem());
    assert.equal(detected.gpus, 2);
    assert.equal(localCapacity({}, `${dir}/missing`).gpus, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
