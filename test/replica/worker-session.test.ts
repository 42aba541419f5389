// The worker session's shared-memory ring (data plane, replica): results equal the in-thread
// session's for several batch sizes, by staged slot arrays and by plain feeds; two batches in
// flight (and a third by message); a grown batch size; a worker that dies mid-run; release.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildDemoModel, writeDemoModel } from '../../src/model/demo.js';
import { systemClock } from '../../src/common/clock.js';
import { createLogger } from '../../src/common/log.js';
import { Batcher } from '../../src/replica/batcher.js';
import type { JobResult } from '../../src/replica/batch-job.js';
import { compileModel } from '../../src/replica/served-model.js';
import { seededRandom } from '../../src/common/random.js';
import { openSession, type FeedTensor, type ModelSession } from '../../src/replica/session.js';
import { openWorkerSession } from '../../src/replica/worker-session.js';

const ROW = 60 * 16;
const options = { device: 'cpu', intraOpThreads: 1 } as const;
let dir: string;
let onnxPath: string;
let inThread: ModelSession;
let worker: ModelSession;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'serve-ring-test-'));
  onnxPath = (await writeDemoModel(dir)).onnxPath;
  [inThread, worker] = await Promise.all([openSession(onnxPath, options), openWorkerSession(onnxPath, options)]);
});

after(async () => {
  await Promise.all([inThread?.release(), worker?.release()]);
  await rm(dir, { recursive: true, force: true });
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function rowsOf(rows: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: rows * ROW }, () => rand() * 2 - 1);
}

const feedsOf = (x: Float32Array, rows: number): Record<string, FeedTensor> => ({
  x: { type: 'float32', data: x, dims: [rows, 60, 16] },
});

/** The in-thread session's probabilities for `x`. */
async function expected(x: Float32Array, rows: number): Promise<number[]> {
  return Array.from((await inThread.run(feedsOf(x, rows))).probs!.data as Float32Array);
}

test('ring results equal the in-thread session for batch 1, 3, 8, 32, by staged arrays and by plain feeds', async () => {
  for (const rows of [1, 3, 8, 32]) {
    const x = rowsOf(rows, rows);
    const want = await expected(x, rows);
    const staged = worker.feedBuffers!(32)!.x!;
    assert.ok(staged.buffer instanceof SharedArrayBuffer, 'staged arrays are shared memory');
    (staged as Float32Array).set(x);
    const viaStaged = await worker.run(feedsOf(staged.subarray(0, rows * ROW) as Float32Array, rows));
    assert.ok(viaStaged.probs!.data.buffer instanceof SharedArrayBuffer, `batch ${rows}: answered from the ring`);
    assert.deepEqual(viaStaged.probs!.dims, [rows, 3]);
    assert.deepEqual(Array.from(viaStaged.probs!.data as Float32Array), want, `batch ${rows} by staged arrays`);
    const viaFeeds = await worker.run(feedsOf(x, rows));
    assert.ok(viaFeeds.probs!.data.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(Array.from(viaFeeds.probs!.data as Float32Array), want, `batch ${rows} by plain feeds`);
  }
});

test('two batches in flight each get their own answer; a third, with every slot busy, goes by message', async () => {
  const xs = [rowsOf(5, 51), rowsOf(7, 52), rowsOf(2, 53)];
  const rows = [5, 7, 2];
  const wants = await Promise.all(xs.map((x, i) => expected(x, rows[i]!)));
  const runs = xs.map((x, i) => worker.run(feedsOf(x, rows[i]!)));
  const got = await Promise.all(runs);
  got.forEach((g, i) => assert.deepEqual(Array.from(g.probs!.data as Float32Array), wants[i], `batch ${i}`));
  assert.ok(got[0]!.probs!.data.buffer instanceof SharedArrayBuffer);
  assert.ok(got[1]!.probs!.data.buffer instanceof SharedArrayBuffer);
  assert.notEqual(got[0]!.probs!.data.byteOffset, got[1]!.probs!.data.byteOffset, 'two slots');
  assert.ok(!(got[2]!.probs!.data.buffer instanceof SharedArrayBuffer), 'the third by message');
});

test('the batcher copies rows into ring slots: every job gets its own rows, before and after a grown batch size', async () => {
  await nextTurn(); // the last test's slots are free again
  const model = compileModel(buildDemoModel().spec);
  const policy = { maxBatchSize: 4, batchWaitMs: 2, batching: true, mode: 'fixed' } as const;
  const batcher = new Batcher(model, worker, policy, 256, systemClock, createLogger({}, { write: () => {} }));
  /** What a job got, read inside `done` as the replica encodes its answer (ring outputs view a slot that carries a later batch). */
  type Got = { rows: number; probs: number[]; shared: boolean } | string;
  const read = (r: JobResult): Got =>
    r.ok
      ? {
          rows: r.batchRows,
          probs: Array.from(r.outputs[0]!.data as Float32Array),
          shared: r.outputs[0]!.data.buffer instanceof SharedArrayBuffer,
        }
      : r.error.message;
  const submitAll = async (rowCounts: number[], seed: number) => {
    const xs = rowCounts.map((r, i) => rowsOf(r, seed + i));
    const got = await Promise.all(
      xs.map(
        (x, i) =>
          new Promise<Got>((resolve) => {
            const rows = rowCounts[i]!;
            const request = { id: undefined, rows, inputs: [x], outputs: [] };
            const done = (r: JobResult) => resolve(read(r));
            batcher.submit({ request, rows, priority: 0, enqueuedMs: systemClock.nowMs(), deadlineMs: Infinity, done });
          }),
      ),
    );
    for (const [i, g] of got.entries()) {
      assert.equal(typeof g, 'object', `job ${i}: ${String(g)}`);
      assert.deepEqual((g as { probs: number[] }).probs, await expected(xs[i]!, rowCounts[i]!), `job ${i}`);
    }
    return got as Array<{ rows: number; shared: boolean }>;
  };
  const first = await submitAll([1, 2, 1, 3, 1, 1, 2], 100);
  assert.ok(
    first.some((g) => g.rows > 1),
    'jobs were batched',
  );
  assert.ok(
    first.every((g) => g.shared),
    'every batch went through the ring',
  );
  batcher.setPolicy({ maxBatchSize: 12 });
  const second = await submitAll([5, 4, 3, 2, 1, 6], 200);
  assert.ok(
    second.some((g) => g.rows > 4),
    'a batch bigger than the first ring',
  );
  assert.ok(second.every((g) => g.shared));
  await batcher.whenIdle();
});

test('a bigger batch size makes a new, bigger ring; runs on it match', async () => {
  await nextTurn(); // the last test's slots are free again (outputs stay readable until then)
  const small = worker.feedBuffers!(32)!.x!;
  const big = worker.feedBuffers!(64)!.x!;
  assert.notEqual(big.buffer, small.buffer);
  assert.equal(big.length, 64 * ROW);
  const x = rowsOf(64, 64);
  (big as Float32Array).set(x);
  const got = await worker.run(feedsOf(big as Float32Array, 64));
  assert.equal(got.probs!.data.buffer, big.buffer);
  assert.deepEqual(Array.from(got.probs!.data as Float32Array), await expected(x, 64));
});

test('a worker that dies mid-run fails that run and every later one, and says so once', async () => {
  const crashes: Error[] = [];
  const entry = new URL('./fixtures/crashing-session-worker.js', import.meta.url);
  const s = await openWorkerSession(onnxPath, options, (err) => crashes.push(err), { entry });
  const x = rowsOf(4, 4);
  assert.deepEqual(Array.from((await s.run(feedsOf(x, 4))).probs!.data as Float32Array), await expected(x, 4));
  await assert.rejects(s.run(feedsOf(x, 4)), /session worker exited with code 7/);
  await assert.rejects(s.run(feedsOf(x, 4)), /session worker exited with code 7/);
  assert.equal(s.feedBuffers!(8), undefined, 'no shared arrays from a dead worker');
  assert.equal(crashes.length, 1);
  await s.release();
});

test('without the ring every run goes by message, with the same answers; release fails later runs', async () => {
  const s = await openWorkerSession(onnxPath, options, undefined, { ring: false });
  const x = rowsOf(2, 2);
  assert.equal(s.feedBuffers!(2), undefined);
  const got = await s.run(feedsOf(x, 2));
  assert.ok(!(got.probs!.data.buffer instanceof SharedArrayBuffer));
  assert.deepEqual(Array.from(got.probs!.data as Float32Array), await expected(x, 2));
  await s.release();
  await assert.rejects(s.run(feedsOf(x, 2)), /session released/);
  assert.equal(s.feedBuffers!(2), undefined);
});
