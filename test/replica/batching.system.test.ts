// Dynamic batching on a live replica: concurrent different requests each get exactly their own
// rows back, a full queue answers 503 + Retry-After, priority orders and sheds, deadlines give 504.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRIORITY_HEADER, TIMEOUT_HEADER } from '../../src/common/wire.js';
import {
  demoRegistry,
  inferJson,
  jsonBody,
  maxAbsDiff,
  randomRows,
  readyReplica,
  type ReplicaHandle,
} from './helpers.js';
import { referenceRunner } from './reference.js';

async function metric(r: ReplicaHandle, name: string): Promise<number> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[2]) : NaN;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('many concurrent different requests each get exactly their own rows', async (t) => {
  const reg = await demoRegistry(t);
  const r = await readyReplica(t, reg, { maxBatchSize: 16, batchWaitMs: 25, batchingMode: 'fixed' });
  const reference = await referenceRunner(reg);
  const requests = Array.from({ length: 40 }, (_, i) => ({ rows: 1 + (i % 3), x: randomRows(1 + (i % 3), 100 + i) }));
  const responses = await Promise.all(requests.map((q) => inferJson(r.url, jsonBody(q.x, q.rows))));
  let batchedWithOthers = 0;
  for (let i = 0; i < requests.length; i++) {
    const { rows, x } = requests[i]!;
    const res = responses[i]!;
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json.outputs[0].shape, [rows, 3]);
    const expected = await reference(x, rows);
    assert.ok(maxAbsDiff(res.json.outputs[0].data, expected) < 1e-5, `request ${i} got rows that are not its own`);
    const batchRows = Number(/batch;desc=(\d+)/.exec(res.headers.get('server-timing') ?? '')?.[1]);
    assert.ok(batchRows >= rows && batchRows <= 16, `batch of ${batchRows} rows`);
    if (batchRows > rows) batchedWithOthers++;
  }
  assert.ok(batchedWithOthers > 0, 'no request shared a batch: the batcher did not batch');
  // Fewer session runs than requests: rows really were gathered.
  assert.ok((await metric(r, 'serve_replica_batch_size_count')) < requests.length);
});

test('a full queue answers 503 with Retry-After; a higher priority evicts the newest lowest', async (t) => {
  const reg = await demoRegistry(t);
  const r = await readyReplica(t, reg, {
    maxQueuedRequests: 2,
    batchWaitMs: 1500,
    maxBatchSize: 32,
    batchingMode: 'fixed',
  });
  const x = jsonBody(randomRows(1, 1), 1);
  const first = inferJson(r.url, x);
  await until('one queued', async () => (await metric(r, 'serve_replica_queue_depth')) === 1);
  const second = inferJson(r.url, x);
  await until('two queued', async () => (await metric(r, 'serve_replica_queue_depth')) === 2);
  const refused = await inferJson(r.url, x);
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.match(refused.json.error, /queue is full/);
  const urgent = inferJson(r.url, x, { [PRIORITY_HEADER]: '7' });
  const shed = await second;
  assert.equal(shed.status, 503);
  assert.match(shed.json.error, /shed for a higher-priority request/);
  assert.equal((await first).status, 200);
  assert.equal((await urgent).status, 200);
});

test('higher priority runs first', async (t) => {
  const reg = await demoRegistry(t);
  // Two 2-row requests overfill a batch of 3, so the first batch can take only one of them.
  const r = await readyReplica(t, reg, { maxBatchSize: 3, batchWaitMs: 300, batchingMode: 'fixed' });
  const x = jsonBody(randomRows(2, 1), 2);
  const order: string[] = [];
  const low = inferJson(r.url, x).then((res) => (order.push('low'), res));
  await until('low queued', async () => (await metric(r, 'serve_replica_queue_depth')) === 1);
  const high = inferJson(r.url, x, { [PRIORITY_HEADER]: '9' }).then((res) => (order.push('high'), res));
  assert.equal((await low).status, 200);
  assert.equal((await high).status, 200);
  assert.deepEqual(order, ['high', 'low']);
});

test('a passed deadline is answered 504 without running the model', async (t) => {
  const reg = await demoRegistry(t);
  const r = await readyReplica(t, reg, { batchWaitMs: 1000, batchingMode: 'fixed' });
  const x = jsonBody(randomRows(1, 1), 1);
  const t0 = Date.now();
  const expired = await inferJson(r.url, x, { [TIMEOUT_HEADER]: '40' });
  assert.equal(expired.status, 504);
  assert.match(expired.json.error, /deadline passed .* the model was not run/);
  assert.ok(Date.now() - t0 < 900, 'the 504 came at the deadline, not after the batch wait');
  assert.equal(await metric(r, 'serve_replica_batch_size_count'), 0);
  // One rule with the gateway (common/wire.ts parseTimeoutHeader): 0, words and exponents are 400.
  for (const value of ['0', 'soon', '1e3', '-5']) {
    const bad = await inferJson(r.url, x, { [TIMEOUT_HEADER]: value });
    assert.equal(bad.status, 400, value);
    assert.match(bad.json.error, /header x-serve-timeout-ms must be a positive number of milliseconds/);
  }
});

test('adaptive batching (the default): a lone request runs at once, not after batch_wait_timeout', async (t) => {
  const reg = await demoRegistry(t);
  const r = await readyReplica(t, reg, { batchWaitMs: 2000 });
  const x = jsonBody(randomRows(1, 7), 1);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const res = await inferJson(r.url, x);
    assert.equal(res.status, 200);
    assert.ok(
      performance.now() - t0 < 1000,
      `answered in ${Math.round(performance.now() - t0)} ms with a 2 s batch wait`,
    );
    const queueMs = Number(/queue;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1]);
    assert.ok(queueMs < 100, `queued ${queueMs} ms`);
  }
});
