// The gateway's response cache over real loopback HTTP: a hit is answered without a replica hop and
// with the asker's id, Cache-Status and /metrics say what happened, entries expire at their TTL, a
// new model version never gets an old version's answer, and JSON and binary answers stay apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/common/clock.js';
import { writeDemoModel } from '../../src/model/demo.js';
import { startReplica } from '../../src/replica/replica.js';
import { endpoints, fakesFor, gatewayFor, send, waitFor } from './client.js';
import { quietLogger } from '../replica/helpers.js';

const body = (x: number, id?: string) =>
  JSON.stringify({
    ...(id === undefined ? {} : { id }),
    inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [x, x + 1] }],
  });
const post = (url: string, x: number, id?: string, p = '/v2/models/demo/infer') =>
  send(url + p, { body: body(x, id), headers: { 'content-type': 'application/json' } });
const json = (r: { body: Buffer }) =>
  JSON.parse(r.body.toString()) as { id?: string; model_version: string; outputs: Array<{ data: number[] }> };
const metric = (text: string, name: string) =>
  Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

test("hit and miss: a hit is answered by the gateway with the asker's id; Cache-Status and /metrics count both", async (t) => {
  const [fake] = await fakesFor(t, { kind: 'oip', version: '1' });
  const gw = await gatewayFor(t, { replicas: endpoints([fake!]), cacheEnabled: true });
  const first = await post(gw.url, 1, 'a');
  assert.equal(first.status, 200);
  assert.equal(first.headers['cache-status'], 'serve; fwd=miss');
  assert.equal(first.headers['x-serve-replica'], 'r0');
  const second = await post(gw.url, 1, 'b');
  assert.equal(second.status, 200);
  assert.equal(second.headers['cache-status'], 'serve; hit');
  assert.equal(second.headers['x-serve-replica'], undefined, 'no replica answered it');
  assert.deepEqual(json(second), { ...json(first), id: 'b' });
  assert.equal(fake!.seen.length, 1, 'the hit never reached the replica');
  const noId = await post(gw.url, 1);
  assert.equal(noId.headers['cache-status'], 'serve; hit');
  assert.equal(json(noId).id, undefined);
  const other = await post(gw.url, 2, 'c');
  assert.equal(other.headers['cache-status'], 'serve; fwd=miss');
  assert.equal(fake!.seen.length, 2);
  const bad = await send(gw.url + '/v2/models/demo/infer', {
    body: '[1,2]',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(bad.headers['cache-status'], 'serve; fwd=bypass');
  const text = await gw.metrics();
  assert.equal(metric(text, 'serve_gateway_cache_hits_total{level="memory"}'), 2);
  assert.equal(metric(text, 'serve_gateway_cache_misses_total'), 2);
  assert.equal(metric(text, 'serve_gateway_cache_entries'), 2);
  assert.ok(metric(text, 'serve_gateway_cache_bytes') > 100);
  assert.equal(metric(text, 'serve_gateway_cache_evictions_total'), 0);
});

test("eviction by entries through the gateway, and expiry at the TTL on the gateway's clock", async (t) => {
  const [fake] = await fakesFor(t, { kind: 'oip', version: '1' });
  const clock = new ManualClock(1000);
  const gw = await gatewayFor(t, {
    replicas: endpoints([fake!]),
    cacheEnabled: true,
    cacheMaxEntries: 2,
    cacheTtlMs: 5000,
    clock,
  });
  for (const x of [1, 2, 3]) assert.equal((await post(gw.url, x)).headers['cache-status'], 'serve; fwd=miss');
  assert.equal((await post(gw.url, 1)).headers['cache-status'], 'serve; fwd=miss', 'the oldest was evicted');
  assert.equal((await post(gw.url, 3)).headers['cache-status'], 'serve; hit');
  assert.equal(metric(await gw.metrics(), 'serve_gateway_cache_evictions_total'), 2);
  clock.advance(4999);
  assert.equal((await post(gw.url, 3)).headers['cache-status'], 'serve; hit');
  clock.advance(1);
  assert.equal((await post(gw.url, 3)).headers['cache-status'], 'serve; fwd=miss', 'expired at its TTL');
});

test("a new model version never gets an old version's answer", async (t) => {
  const [v1, v2] = await fakesFor(t, { kind: 'oip', version: '1' }, { kind: 'oip', version: '2' });
  const gw = await gatewayFor(t, { replicas: endpoints([v1!]), cacheEnabled: true });
  await post(gw.url, 5);
  assert.equal(json(await post(gw.url, 5)).model_version, '1');
  assert.equal(v1!.seen.length, 1);
  // A rollout: the replica set now serves version 2.
  gw.setReplicas([{ id: 'r1', url: v2!.url, ready: true }]);
  const after = await post(gw.url, 5);
  assert.equal(after.headers['cache-status'], 'serve; fwd=miss');
  assert.equal(json(after).model_version, '2');
  assert.equal(v2!.seen.length, 1);
  assert.equal(json(await post(gw.url, 5)).model_version, '2');
  // A path naming a version is keyed by it: version 1's answer is never given for version 2.
  const named = await post(gw.url, 5, undefined, '/v2/models/demo/versions/2/infer');
  assert.equal(json(named).model_version, '2');
  assert.equal(named.headers['cache-status'], 'serve; hit');
});

test('JSON and binary answers of the same tensors are kept apart (a real replica)', async (t) => {
  const registry = await mkdtemp(path.join(os.tmpdir(), 'serve-cache-'));
  t.after(() => rm(registry, { recursive: true, force: true }));
  await writeDemoModel(registry);
  const replica = await startReplica({ model: 'cnn-lstm', registry, logger: quietLogger(), replicaId: 'rep' });
  t.after(() => replica.close());
  await replica.ready;
  const gw = await gatewayFor(t, { replicas: [{ id: 'rep', url: replica.url, ready: true }], cacheEnabled: true });
  const x = new Float32Array(960).map((_, i) => Math.sin(i));
  const jsonReq = () =>
    send(gw.url + '/v2/models/cnn-lstm/infer', {
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 60, 16], datatype: 'FP32', data: [...x] }] }),
      headers: { 'content-type': 'application/json' },
    });
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'x', shape: [1, 60, 16], datatype: 'FP32', parameters: { binary_data_size: x.byteLength } }],
      outputs: [{ name: 'probs', parameters: { binary_data: true } }],
    }),
  );
  const binReq = () =>
    send(gw.url + '/v2/models/cnn-lstm/infer', {
      body: Buffer.concat([header, Buffer.from(x.buffer)]),
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    });
  const j1 = await jsonReq();
  const b1 = await binReq();
  assert.equal(b1.headers['cache-status'], 'serve; fwd=miss', 'the binary request did not get the JSON answer');
  const [j2, b2] = [await jsonReq(), await binReq()];
  assert.deepEqual([j2.headers['cache-status'], b2.headers['cache-status']], ['serve; hit', 'serve; hit']);
  assert.deepEqual(j2.body, j1.body);
  assert.deepEqual(b2.body, b1.body);
  assert.equal(b2.headers['inference-header-content-length'], b1.headers['inference-header-content-length']);
  assert.equal(j2.headers['content-type'], 'application/json');
  assert.equal(b2.headers['content-type'], 'application/octet-stream');
  await waitFor(() => gw.stats().active === 0, 2000, 'idle');
});

test('a request a replica refuses on a miss is refused on a would-be hit too (Content-Type, Content-Encoding, id)', async (t) => {
  const registry = await mkdtemp(path.join(os.tmpdir(), 'serve-cache-'));
  t.after(() => rm(registry, { recursive: true, force: true }));
  await writeDemoModel(registry, { features: 2, window: 4, channels: 2, hidden: 4 });
  const replica = await startReplica({ model: 'cnn-lstm', registry, logger: quietLogger(), replicaId: 'rep' });
  t.after(() => replica.close());
  await replica.ready;
  const gw = await gatewayFor(t, { replicas: [{ id: 'rep', url: replica.url, ready: true }], cacheEnabled: true });
  const tensor = (id?: unknown) =>
    JSON.stringify({
      ...(id === undefined ? {} : { id }),
      inputs: [{ name: 'x', shape: [1, 4, 2], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6, 7, 8] }],
    });
  const infer = (headers: Record<string, string>, id?: unknown) =>
    send(gw.url + '/v2/models/cnn-lstm/infer', { body: tensor(id), headers });
  const ok = { 'content-type': 'application/json' };
  assert.equal((await infer(ok)).headers['cache-status'], 'serve; fwd=miss');
  assert.equal((await infer(ok)).headers['cache-status'], 'serve; hit', 'the answer is cached');
  const refused: Array<[Record<string, string>, unknown, number]> = [
    [{ 'content-type': 'text/plain' }, undefined, 415],
    [{ ...ok, 'content-encoding': 'gzip' }, undefined, 415],
    [ok, 7, 400],
  ];
  for (const [headers, id, status] of refused) {
    const r = await infer(headers, id);
    assert.equal(r.status, status, `${JSON.stringify(headers)} id ${String(id)}: ${r.body.toString()}`);
    assert.equal(r.headers['cache-status'], 'serve; fwd=bypass');
    assert.equal(r.headers['x-serve-replica'], 'rep', 'the replica answered it, as on a miss');
  }
  assert.equal((await infer(ok, 'fine')).headers['cache-status'], 'serve; hit');
});
