// The gateway in front of a real replica serving the demo model (gateway + replica, in-process):
// answers match going direct, byte for byte for the binary extension, and errors pass through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeDemoModel } from '../../src/model/demo.js';
import { startReplica } from '../../src/replica/replica.js';
import { TIMEOUT_HEADER } from '../../src/common/wire.js';
import { gatewayFor, send } from './client.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const infer = '/v2/models/cnn-lstm/infer';

function rows(n: number, seed: number): number[] {
  return Array.from({ length: n * 60 * 16 }, (_, i) => Math.round(Math.sin((i + 1) * seed * 0.013) * 1000) / 1000);
}

test('through the gateway a real replica answers exactly as it does directly', async (t) => {
  const registry = await mkdtemp(path.join(tmpdir(), 'serve-gw-replica-'));
  t.after(() => rm(registry, { recursive: true, force: true }));
  await writeDemoModel(registry);
  const replica = await startReplica({
    model: 'cnn-lstm',
    registry,
    replicaId: 'rep-1',
    logger: quiet,
    batchWaitMs: 1,
  });
  t.after(() => replica.close());
  await replica.ready;
  const gw = await gatewayFor(t, { replicas: [{ id: 'rep-1', url: replica.url, ready: true }] });

  const json = JSON.stringify({ inputs: [{ name: 'x', shape: [2, 60, 16], datatype: 'FP32', data: rows(2, 7) }] });
  const headers = { 'content-type': 'application/json' };
  const [viaGw, direct] = [
    await send(gw.url + infer, { body: json, headers }),
    await send(replica.url + infer, { body: json, headers }),
  ];
  assert.equal(viaGw.status, 200, viaGw.body.toString());
  assert.deepEqual(JSON.parse(viaGw.body.toString()).outputs, JSON.parse(direct.body.toString()).outputs);
  assert.equal(viaGw.headers['x-serve-replica'], 'rep-1');
  assert.match(
    String(viaGw.headers['server-timing']),
    /^gateway;dur=[\d.]+, upstream;dur=[\d.]+, queue;dur=[\d.]+, batch;desc=2, infer;dur=[\d.]+$/,
  );

  const x = Float32Array.from(rows(1, 3));
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 60, 16], parameters: { binary_data_size: x.byteLength } }],
      outputs: [{ name: 'probs', parameters: { binary_data: true } }],
    }),
  );
  const binary = Buffer.concat([header, Buffer.from(x.buffer)]);
  const binHeaders = {
    'content-type': 'application/octet-stream',
    'inference-header-content-length': String(header.length),
  };
  const b1 = await send(gw.url + infer, { body: binary, headers: binHeaders });
  const b2 = await send(replica.url + infer, { body: binary, headers: binHeaders });
  assert.equal(b1.status, 200, b1.body.toString());
  assert.ok(b1.body.equals(b2.body), 'binary answers differ');
  assert.equal(b1.headers['inference-header-content-length'], b2.headers['inference-header-content-length']);

  const index = await send(gw.url + '/v2/repository/index', { method: 'POST', body: '{}' });
  assert.deepEqual(JSON.parse(index.body.toString()), [{ name: 'cnn-lstm', version: '1', state: 'READY' }]);
  const meta = await send(gw.url + '/v2/models/cnn-lstm');
  assert.deepEqual(
    JSON.parse(meta.body.toString()),
    JSON.parse((await send(replica.url + '/v2/models/cnn-lstm')).body.toString()),
  );

  const bad = await send(gw.url + infer, {
    body: '{"inputs":[{"name":"x","shape":[1,60,16],"datatype":"FP32","data":[1]}]}',
    headers,
  });
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.body.toString()).error, /\S/);
  const ok = await send(gw.url + infer, { body: json, headers: { ...headers, [TIMEOUT_HEADER]: '2000' } });
  assert.equal(ok.status, 200);
  assert.equal(gw.stats().retries, 0);
  assert.equal(gw.stats().replicas[0]!.consecutiveFailures, 0);
});
