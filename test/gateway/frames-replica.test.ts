// A real replica (the demo model) serving the gateway over its frame socket: the same answer bytes as
// over HTTP, errors (415, 413, 401, 404) as HTTP gives them, a connection that breaks the framing
// closed alone, the socket private, and a request in flight when a drain starts still answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { FramePool, type FrameHandler } from '../../src/gateway/frame-pool.js';
import { binaryBody, demoRegistry, jsonBody, MODEL, randomRows, readyReplica } from '../replica/helpers.js';
import { gatewayFor, send } from './client.js';

const infer = `/v2/models/${MODEL}/infer`;

/** Sends one request straight through a FramePool; resolves with status, headers and body. */
function viaPool(pool: FramePool, headers: string[], body: Buffer, p = infer) {
  return new Promise<{ status: number; headers: Record<string, string>; body: string }>((resolve, reject) => {
    let status = 0;
    const h: Record<string, string> = {};
    let text = '';
    const handler: FrameHandler = {
      onConnect: () => undefined,
      onRequestSent: () => undefined,
      onHeaders: (s, raw) => {
        status = s;
        for (let i = 0; i < raw.length; i += 2) h[raw[i]!.toString()] = raw[i + 1]!.toString();
        return true;
      },
      onData: (c) => ((text += c.toString()), true),
      onComplete: () => resolve({ status, headers: h, body: text }),
      onError: reject,
    };
    pool.dispatch({ path: p, method: 'POST', headers, body }, handler);
  });
}

test('through the gateway over frames a real replica answers byte for byte as over HTTP', async (t) => {
  const registry = await demoRegistry(t);
  const dir = await mkdtemp(path.join(tmpdir(), 'serve-frames-e2e-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const socket = path.join(dir, 'rep-1.frames.sock');
  const replica = await readyReplica(t, registry, {
    replicaId: 'rep-1',
    frameSocket: socket,
    batchWaitMs: 1,
    maxBodyBytes: 200_000,
  });
  assert.equal(statSync(socket).mode & 0o777, 0o600);
  // Its URL goes nowhere: an answer can only have come over the frame socket.
  const gw = await gatewayFor(t, {
    replicas: [{ id: 'rep-1', url: 'http://127.0.0.1:1', ready: true, frameSocket: socket }],
  });

  const x = randomRows(2, 5);
  const bin = binaryBody(x, 2);
  const binHeaders = {
    'content-type': 'application/octet-stream',
    'inference-header-content-length': String(bin.headerLength),
  };
  const [viaGw, direct] = [
    await send(gw.url + infer, { body: Buffer.from(bin.body), headers: binHeaders }),
    await send(replica.url + infer, { body: Buffer.from(bin.body), headers: binHeaders }),
  ];
  assert.equal(viaGw.status, 200, viaGw.body.toString());
  assert.ok(viaGw.body.equals(direct.body), 'the same answer bytes');
  assert.equal(viaGw.headers['inference-header-content-length'], direct.headers['inference-header-content-length']);
  assert.equal(viaGw.headers['x-serve-replica'], 'rep-1');
  assert.match(
    String(viaGw.headers['server-timing']),
    /^gateway;dur=[\d.]+, upstream;dur=[\d.]+, queue;dur=[\d.]+, batch;desc=2, infer;dur=/,
  );

  const json = jsonBody(randomRows(1, 9), 1);
  const [j1, j2] = [
    await send(gw.url + infer, { body: json, headers: { 'content-type': 'application/json' } }),
    await send(replica.url + infer, { body: json, headers: { 'content-type': 'application/json' } }),
  ];
  assert.equal(j1.status, 200);
  assert.deepEqual(JSON.parse(j1.body.toString()), JSON.parse(j2.body.toString()));

  // A replica whose frame socket is gone fails before answering: its requests are retried on the other.
  const gw2 = await gatewayFor(t, {
    replicas: [
      { id: 'gone', url: 'http://127.0.0.1:1', ready: true, frameSocket: path.join(dir, 'gone.sock') },
      { id: 'rep-1', url: 'http://127.0.0.1:1', ready: true, frameSocket: socket },
    ],
  });
  for (let i = 0; i < 6; i++) {
    const r = await send(gw2.url + infer, { body: json, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(r.headers['x-serve-replica'], 'rep-1');
  }

  // gateway.replica_transport http: the frame socket is not used (this URL goes nowhere: 502).
  const viaHttp = await gatewayFor(t, {
    replicaTransport: 'http',
    replicas: [{ id: 'rep-1', url: 'http://127.0.0.1:1', ready: true, frameSocket: socket }],
  });
  const refused = await send(viaHttp.url + infer, { body: json, headers: { 'content-type': 'application/json' } });
  assert.equal(refused.status, 502, refused.body.toString());

  // Refusals come back as HTTP gives them.
  for (const [body, headers] of [
    ['x', { 'content-type': 'text/plain' }],
    ['{"inputs": 3}', { 'content-type': 'application/json' }],
    [Buffer.alloc(300_000), binHeaders],
    [Buffer.from(bin.body), { ...binHeaders, 'inference-header-content-length': '99999' }],
  ] as const) {
    const [g, d] = [await send(gw.url + infer, { body, headers }), await send(replica.url + infer, { body, headers })];
    assert.equal(g.status, d.status, d.body.toString());
    assert.ok(g.status >= 400 && g.status < 500, `status ${g.status}`);
    if (g.status !== 413) assert.equal(g.body.toString(), d.body.toString());
    else assert.match(g.body.toString(), /request body too large.*at most 200000 bytes/);
  }
});

test('the frame socket: a broken connection closes alone, wrong paths and tokens are refused, drain answers', async (t) => {
  const registry = await demoRegistry(t);
  const dir = await mkdtemp(path.join(tmpdir(), 'serve-frames-srv-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const socket = path.join(dir, 'r.sock');
  const replica = await readyReplica(t, registry, {
    frameSocket: socket,
    authToken: 'cluster-secret',
    // A lone request waits 100 ms for company: long enough to start a drain while it waits.
    batchingMode: 'fixed',
    batchWaitMs: 100,
  });
  const pool = new FramePool(socket, { connections: 1 });
  t.after(() => pool.destroy());
  const token = ['x-serve-cluster-token', 'cluster-secret', 'content-type', 'application/json'];
  const body = Buffer.from(jsonBody(randomRows(1, 2), 1));

  // Garbage on one connection (a wrong type; a payload whose method runs past its end): that one is
  // closed, the pool's goes on.
  for (const garbage of [
    [0, 0, 0, 5, 0, 0, 0, 1, 9],
    [0, 0, 0, 8, 0, 0, 0, 1, 1, 5, 80, 79],
  ]) {
    const raw = net.connect(socket);
    const closed = new Promise((r) => raw.once('close', r));
    raw.on('error', () => undefined);
    raw.write(Buffer.from(garbage));
    await closed;
  }
  assert.equal((await viaPool(pool, token, body)).status, 200);

  assert.equal((await viaPool(pool, ['content-type', 'application/json'], body)).status, 401);
  const wrong = await viaPool(pool, token, body, '/v2/models/nope/infer');
  assert.equal(wrong.status, 404);
  assert.match(JSON.parse(wrong.body).error, /model "nope" is not served here/);
  assert.equal((await viaPool(pool, token, body, '/v2/health/ready')).status, 404);

  // A request in flight (waiting in the batcher) when the drain starts is answered.
  let draining = false;
  const inFlight = viaPool(pool, token, body).then((r) => ({ ...r, afterDrain: draining }));
  await new Promise((r) => setTimeout(r, 20));
  draining = true;
  const drained = replica.drain();
  const answer = await inFlight;
  assert.equal(answer.status, 200);
  assert.ok(answer.afterDrain, 'answered after the drain began');
  await drained;
  assert.throws(() => statSync(socket), /ENOENT/, 'the socket file is removed');
});
