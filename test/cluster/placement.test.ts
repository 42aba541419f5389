import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeReplicas, type HostCapacity } from '../../src/cluster/placement/placement.js';

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
  assert.deepEqual(r.slots.slice(0, 2), [
    { host: 'gpu', gpus: [0] },
    { host: 'gpu', gpus: [0] },
  ]);
  assert.match(r.slots[2]!.reason!, /needs 0.5 of a GPU, at most 0 free on gpu/);
});

const GPU_HOST: HostCapacity = {
  name: 'gpu-1',
  cpus: 64,
  memoryBytes: 256 * GiB,
  gpus: 2,
  gpuDevices: [
    { index: 0, memoryTotalBytes: 16 * GiB, memoryUsedBytes: 1 * GiB },
    { index: 1, memoryTotalBytes: 16 * GiB, memoryUsedBytes: 12 * GiB },
  ],
};

test('two GPUs, four 0.5-GPU replicas: two per device, spread over both', () => {
  const r = placeReplicas([GPU_HOST], { cpus: 1, memoryBytes: GiB, gpus: 0.5 }, 5);
  assert.deepEqual(
    r.slots.slice(0, 4).map((s) => s.gpus),
    [[0], [1], [0], [1]],
  );
  assert.match(r.slots[4]!.reason!, /needs 0.5 of a GPU, at most 0 free on gpu-1/);
});

test("GPU memory is checked against each device's free memory as reported", () => {
  // Device 1 has 4 GiB free: one 3 GiB replica fits there, not two; device 0 (15 GiB) takes five.
  const r = placeReplicas([GPU_HOST], { cpus: 1, memoryBytes: GiB, gpus: 0.1, gpuMemoryBytes: 3 * GiB }, 7);
  const perDevice = [0, 1].map((d) => r.slots.filter((s) => s.gpus?.[0] === d).length);
  assert.deepEqual(perDevice, [5, 1]);
  assert.match(r.slots[6]!.reason!, /needs 3GiB GPU memory, at most 1GiB free on one GPU of gpu-1/);
});

test('whole GPUs: a 2-GPU replica takes two free devices, and none is left for the next', () => {
  const r = placeReplicas([GPU_HOST], { cpus: 1, memoryBytes: GiB, gpus: 2 }, 2);
  assert.deepEqual(r.slots[0], { host: 'gpu-1', gpus: [0, 1] });
  assert.match(r.slots[1]!.reason!, /needs 2 whole GPUs, 0 free on gpu-1/);
});

test('a GPU count without devices means devices 0..n-1 of unknown memory (memory not checked)', () => {
  const r = placeReplicas(
    [{ name: 'g', cpus: 8, memoryBytes: 8 * GiB, gpus: 2 }],
    { cpus: 1, memoryBytes: GiB, gpus: 1, gpuMemoryBytes: 99 * GiB },
    3,
  );
  assert.deepEqual(
    r.slots.map((s) => s.gpus),
    [[0], [1], undefined],
  );
});

test('GPU replicas already placed keep their devices; new ones take what is left', () => {
  const r = placeReplicas([GPU_HOST], { cpus: 1, memoryBytes: GiB, gpus: 0.5 }, 2, {
    placed: [
      { host: 'gpu-1', gpus: [0] },
      { host: 'gpu-1', gpus: [0] },
    ],
  });
  assert.deepEqual(
    r.slots.map((s) => s.gpus),
    [[1], [1]],
  );
});

test('replicas are spread over hosts, so one host lost loses as few as possible', () => {
  const hosts = ['local', 'a', 'b'].map((name) => ({ ...laptop, name, cpus: 8 }));
  const r = placeReplicas(hosts, { cpus: 1, memoryBytes: GiB, gpus: 0 }, 6);
  assert.deepEqual(
    r.slots.map((s) => s.host),
    ['local', 'a', 'b', 'local', 'a', 'b'],
  );
  const more = placeReplicas(hosts, { cpus: 1, memoryBytes: GiB, gpus: 0 }, 1, { placed: ['local', 'local', 'a'] });
  assert.deepEqual(
    more.slots.map((s) => s.host),
    ['b'],
  );
});

test('GPU replicas prefer hosts with GPUs; on a CPU-only host they run on the CPU', () => {
  const r = placeReplicas(
    [laptop, { name: 'g', cpus: 8, memoryBytes: 8 * GiB, gpus: 1 }],
    { cpus: 1, memoryBytes: GiB, gpus: 1 },
    2,
  );
  assert.deepEqual(r.slots, [{ host: 'g', gpus: [0] }, { host: 'localhost' }]);
});

test('nothing fits: the reason names each host', () => {
  const r = placeReplicas([laptop, { ...laptop, name: 'b', cpus: 0.5 }], { cpus: 4, memoryBytes: GiB, gpus: 0 }, 1);
  assert.equal(r.slots[0]!.reason, 'does not fit: needs 4 CPUs, 2 free on localhost; needs 4 CPUs, 0.5 free on b');
  assert.equal(placeReplicas([], { cpus: 1, memoryBytes: 1, gpus: 0 }, 1).slots[0]!.reason, 'no host to place it on');
});

test('oversubscribe places every replica and warns for each one that did not fit', () => {
  const r = placeReplicas([laptop], { cpus: 2, memoryBytes: 2 * GiB, gpus: 0 }, 3, { oversubscribe: true });
  assert.ok(r.slots.every((s) => s.host === 'localhost'));
  assert.deepEqual(
    r.slots.map((s) => s.oversubscribed ?? false),
    [false, true, true],
  );
  assert.equal(r.warnings.length, 2);
  assert.match(r.warnings[0]!, /replica 2 oversubscribes localhost \(needs 2 CPUs/);
});

test('a second host takes what the first cannot', () => {
  const r = placeReplicas(
    [
      { ...laptop, cpus: 4 },
      { ...laptop, name: 'b' },
    ],
    { cpus: 2, memoryBytes: GiB, gpus: 0 },
    4,
  );
  assert.deepEqual(
    r.slots.map((s) => s.host),
    ['localhost', 'b', 'localhost', undefined],
  );
});

test('local capacity: the profile wins, else the OS; GPUs are the driver folders, 0 without one', async () => {
  const { localCapacity } = await import('../../src/cluster/placement/capacity.js');
  const { mkdtempSync, mkdirSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const dir = mkdtempSync(`${os.tmpdir()}/gpus-`);
  try {
    mkdirSync(`${dir}/0000:01:00.0`);
    mkdirSync(`${dir}/0000:02:00.0`);
    assert.deepEqual(localCapacity({ cpus: 3, memoryBytes: 5, gpus: 1 }, dir), {
      name: 'local',
      cpus: 3,
      memoryBytes: 5,
      gpus: 1,
    });
    const detected = localCapacity({}, dir);
    assert.equal(detected.cpus, os.availableParallelism());
    assert.equal(detected.memoryBytes, os.totalmem());
    assert.equal(detected.gpus, 2);
    assert.equal(localCapacity({}, `${dir}/missing`).gpus, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
