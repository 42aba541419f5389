// A live replica in-process: health, metadata, infer with JSON and binary tensors against an
// independent ONNX Runtime reference, Server-Timing, metrics, and the 404/405 answers.
import { test } from 'node:test';
import http from 'node:http';
import assert from 'node:assert/strict';
import { REPLICA_HEADER } from '../../src/common/wire.js';
import {
  binaryBody,
  decodeBinary,
  demoRegistry,
  inferJson,
  jsonBody,
  maxAbsDiff,
  randomRows,
  readyReplica,
} from './helpers.js';
import { referenceRunner } from './reference.js';

test('health, server and model metadata endpoints', async (t) => {
  const reg = await demoRegistry(t);
  const r = await readyReplica(t, reg, { replicaId: 'r7' });
  const get = async (p: string) => {
    const res = await fetch(r.url + p);
    return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
  };
  assert.deepEqual((await get('/v2/health/live')).body, { live: true });
  assert.deepEqual((await get('/v2/health/ready')).body, { ready: true });
  assert.deepEqual((await get('/v2')).body.extensions, ['binary_tensor_data']);
  const meta = await get('/v2/models/cnn-lstm');
  assert.equal(meta.status, 200);
  assert.deepEqual(meta.body.versions, ['1']);
  assert.deepEqual(meta.body.inputs, [{ name: 'x', datatype: 'FP32', shape: [-1, 60, 16] }]);
  assert.deepEqual(meta.body.outputs, [{ name: 'probs', datatype: 'FP32', shape: [-1, 3] }]);
  assert.equal((await get('/v2/models/cnn-lstm/versions/1')).status, 200);
  assert.equal((await get('/v2/models/cnn-lstm/versions/1/ready')).status, 200);
  assert.equal((await get('/v2/models/cnn-lstm/ready')).status, 200);
  const wrongVersion = await get('/v2/models/cnn-lstm/versions/2/ready');
  assert.equal(wrongVersion.status, 404);
  assert.match(wrongVersion.body.error, /version "2" is not served here; this replica serves version 1/);
  const wrongModel = await get('/v2/models/other');
  assert.equal(wrongModel.status, 404);
  assert.match(wrongModel.body.error, /model "other" is not served here/);
  assert.equal(wrongModel.headers.get(REPLICA_HEADER), 'r7');
  const index = await fetch(r.url + '/v2/repository/index', { method: 'POST', body: '{}' });
  assert.deepEqual(await index.json(), [{ name: 'cnn-lstm', version: '1', state: 'READY' }]);
  assert.equal((await get('/v2/repository/index')).status, 405);
  assert.equal((await get('/nope')).status, 404);
  const getInfer = await get('/v2/models/cnn-lstm/infer');
  assert.equal(getInfer.status, 405);
  assert.match(getInfer.body.error, /use POST/);
});

test('JSON infer with several rows matches the reference, flat and nested, with Server-Timing', async (t) => {
  const reg = await demoRegistry(t);
  const r = await readyReplica(t, reg, { batchWaitMs: 1 });
  const reference = await referenceRunner(reg);
  const x = randomRows(3, 1);
  const expected = await reference(x, 3);
  const flat = await inferJson(r.url, jsonBody(x, 3, { id: 'abc' }));
  assert.equal(flat.status, 200);
  assert.equal(flat.json.model_name, 'cnn-lstm');
  assert.equal(flat.json.model_version, '1');
  assert.equal(flat.json.id, 'abc');
  const out = flat.json.outputs[0];
  assert.deepEqual([out.name, out.datatype, out.shape], ['probs', 'FP32', [3, 3]]);
  assert.ok(maxAbsDiff(out.data, expected) < 1e-5, `diff ${maxAbsDiff(out.data, expected)}`);
  assert.match(flat.headers.get('server-timing') ?? '', /^queue;dur=\d+\.\d+, batch;desc=3, infer;dur=\d+\.\d+$/);

  const rows: number[][][] = [];
  for (let i = 0; i < 3; i++) {
    rows.push([]);
    for (let s = 0; s < 60; s++) rows[i]!.push(Array.from(x.subarray(i * 960 + s * 16, i * 960 + s * 16 + 16)));
  }
  const nested = await inferJson(
    r.url,
    JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [3, 60, 16], data: rows }] }),
  );
  assert.equal(nested.status, 200);
  assert.ok(maxAbsDiff(nested.json.outputs[0].data, expected) < 1e-5);
});

test('binary tensor extension in and out, versioned path, JSON output on request', async (t) => {
  const reg = await demoRegistry(t);
  const r = await readyReplica(t, reg, { batchWaitMs: 1 });
  const reference = await referenceRunner(reg);
  const x = randomRows(2, 2);
  const expected = await reference(x, 2);
  const { body, headerLength } = binaryBody(x, 2);
  const res = await fetch(`${r.url}/v2/models/cnn-lstm/versions/1/infer`, {
    method: 'POST',
    headers: { 'inference-header-content-length': String(headerLength), 'content-type': 'application/octet-stream' },
    body,
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/octet-stream');
  const buf = Buffer.from(await res.arrayBuffer());
  const hl = Number(res.headers.get('inference-header-content-length'));
  const { header, probs } = decodeBinary(buf, hl);
  assert.deepEqual(header.outputs, [
    { name: 'probs', datatype: 'FP32', shape: [2, 3], parameters: { binary_data_size: 24 } },
  ]);
  assert.ok(maxAbsDiff(probs, expected) < 1e-5);

  // Binary input, JSON output (no binary_data requested): no header length on the response.
  const plain = binaryBody(x, 2, false);
  const res2 = await fetch(`${r.url}/v2/models/cnn-lstm/infer`, {
    method: 'POST',
    headers: { 'inference-header-content-length': String(plain.headerLength) },
    body: plain.body,
  });
  assert.equal(res2.status, 200);
  assert.equal(res2.headers.get('inference-header-content-length'), null);
  const json = (await res2.json()) as any;
  assert.ok(maxAbsDiff(json.outputs[0].data, expected) < 1e-5);
});

test('metrics report requests by status, latency, batch sizes, queue, in-flight and load time', async (t) => {
  const reg = await demoRegistry(t);
  const r = await readyReplica(t, reg, { batchWaitMs: 1 });
  assert.equal((await inferJson(r.url, jsonBody(randomRows(2, 3), 2))).status, 200);
  assert.equal((await inferJson(r.url, '{')).status, 400);
  const text = await (await fetch(`${r.url}/metrics`)).text();
  for (const pattern of [
    /serve_replica_requests_total\{status="200"[^}]*\} 1\n/,
    /serve_replica_requests_total\{status="400"[^}]*\} 1\n/,
    /serve_replica_request_duration_seconds_count\{[^}]*\} 2\n/,
    /serve_replica_batch_size_bucket\{le="1",[^}]*\} 0\n/,
    /serve_replica_batch_size_bucket\{le="2",[^}]*\} 1\n/,
    /serve_replica_queue_depth\{[^}]*\} 0\n/,
    /serve_replica_in_flight\{[^}]*\} 0\n/,
    /serve_replica_model_load_seconds\{[^}]*\} 0\.\d+/,
    /serve_replica_process_resident_memory_bytes/,
  ])
    assert.match(text, pattern);
});

test('with the session on the main thread (--no-session-worker) the answers are the same', async (t) => {
  const reg = await demoRegistry(t);
  const r = await readyReplica(t, reg, { sessionWorker: false, maxBatchSize: 8, batchWaitMs: 5 });
  const reference = await referenceRunner(reg);
  const inputs = Array.from({ length: 12 }, (_, i) => randomRows(1 + (i % 2), 50 + i));
  const responses = await Promise.all(inputs.map((x, i) => inferJson(r.url, jsonBody(x, 1 + (i % 2)))));
  for (let i = 0; i < inputs.length; i++) {
    assert.equal(responses[i]!.status, 200);
    const expected = await reference(inputs[i]!, 1 + (i % 2));
    assert.ok(maxAbsDiff(responses[i]!.json.outputs[0].data, expected) < 1e-5, `request ${i}`);
  }
  await r.drain();
  await assert.rejects(fetch(`${r.url}/v2/health/live`), 'the server is closed after drain');
});

test('drain finishes a request whose body was still arriving, and refuses new ones', async (t) => {
  const reg = await demoRegistry(t);
  const r = await readyReplica(t, reg, { batchWaitMs: 1 });
  const body = Buffer.from(jsonBody(randomRows(1, 4), 1));
  const req = http.request(`${r.url}/v2/models/cnn-lstm/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': body.length },
  });
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
  });
  req.write(body.subarray(0, 100));
  // Let the first bytes reach the server before the drain starts.
  const end = Date.now() + 5000;
  while (!/serve_replica_in_flight\{[^}]*\} 1/.test(await (await fetch(`${r.url}/metrics`)).text()) && Date.now() < end)
    await new Promise((res) => setTimeout(res, 5));
  const drained = r.drain();
  const refused = await inferJson(r.url, jsonBody(randomRows(1, 4), 1));
  assert.equal(refused.status, 503);
  req.end(body.subarray(100));
  const res = await response;
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(JSON.parse(res.text).outputs[0].shape, [1, 3]);
  await drained;
});
