// Frames over loopback TCP (a replica on an SSH host, `--frame-port`): a real replica answers through
// the gateway byte for byte as over HTTP; a connection without the cluster token in its hello frame
// (missing, wrong, oversized) is refused before any request is read; a replica side that dies
// mid-frame or is not there fails only what it carried, and the hello goes first on every connection.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  decodeRequest,
  decodeResponse,
  encodeHello,
  encodeRequestHead,
  FrameType,
} from '../../src/common/frames/codec.js';
import { FrameDecoder } from '../../src/common/frames/decoder.js';
import { parseFrameAddress } from '../../src/common/frames/tcp.js';
import { FramePool, type FrameHandler } from '../../src/gateway/frame-pool.js';
import { binaryBody, demoRegistry, jsonBody, MODEL, randomRows, readyReplica } from '../replica/helpers.js';
import { gatewayFor, send } from './client.js';

const infer = `/v2/models/${MODEL}/infer`;
const TOKEN = 'cluster-secret';
const tokenHeader = { 'x-serve-cluster-token': TOKEN };

/** One request through a FramePool: its status and body, or the error it failed with. */
function viaPool(pool: FramePool, headers: string[], body: Buffer) {
  return new Promise<{ status: number; body: string } | { error: Error }>((resolve) => {
    let status = 0;
    let text = '';
    const handler: FrameHandler = {
      onConnect: () => undefined,
      onRequestSent: () => undefined,
      onHeaders: (s) => ((status = s), true),
      onData: (c) => ((text += c.toString()), true),
      onComplete: () => resolve({ status, body: text }),
      onError: (error) => resolve({ error }),
    };
    pool.dispatch({ path: infer, method: 'POST', headers, body }, handler);
  });
}

/**
 * Writes raw bytes on a fresh TCP connection; resolves with everything it got back once it closed, or
 * once `untilFrame` and one whole frame came (then closes it).
 */
function rawExchange(address: string, bytes: Buffer, untilFrame = false): Promise<Buffer> {
  const { host, port } = parseFrameAddress(address)!;
  return new Promise((resolve) => {
    const c = net.connect({ host, port });
    const got: Buffer[] = [];
    c.on('data', (b: Buffer) => {
      got.push(b);
      const all = Buffer.concat(got);
      if (untilFrame && all.length >= 4 && all.length >= 4 + all.readUInt32BE(0)) c.destroy();
    });
    c.on('error', () => undefined);
    c.once('close', () => resolve(Buffer.concat(got)));
    c.write(bytes);
  });
}

test('over a TCP frame port a real replica answers through the gateway byte for byte as over HTTP; tokens checked first', async (t) => {
  const registry = await demoRegistry(t);
  const replica = await readyReplica(t, registry, {
    replicaId: 'rep-1',
    host: '127.0.0.1',
    framePort: 0,
    authToken: TOKEN,
    batchWaitMs: 1,
  });
  assert.match(replica.frameAddress ?? '', /^127\.0\.0\.1:\d+$/);
  assert.equal(replica.frameSocket, undefined);
  const address = replica.frameAddress!;
  // Its URL goes nowhere: an answer can only have come over the frame port.
  const gw = await gatewayFor(t, {
    replicaToken: TOKEN,
    replicas: [{ id: 'rep-1', url: 'http://127.0.0.1:1', ready: true, frameAddress: address }],
  });

  const bin = binaryBody(randomRows(2, 5), 2);
  const binHeaders = {
    'content-type': 'application/octet-stream',
    'inference-header-content-length': String(bin.headerLength),
  };
  const viaGw = await send(gw.url + infer, { body: Buffer.from(bin.body), headers: binHeaders });
  const direct = await send(replica.url + infer, {
    body: Buffer.from(bin.body),
    headers: { ...binHeaders, ...tokenHeader },
  });
  assert.equal(viaGw.status, 200, viaGw.body.toString());
  assert.equal(direct.status, 200, direct.body.toString());
  assert.ok(viaGw.body.equals(direct.body), 'the same answer bytes');
  assert.equal(viaGw.headers['x-serve-replica'], 'rep-1');
  const json = jsonBody(randomRows(1, 9), 1);
  const j1 = await send(gw.url + infer, { body: json, headers: { 'content-type': 'application/json' } });
  const j2 = await send(replica.url + infer, {
    body: json,
    headers: { 'content-type': 'application/json', ...tokenHeader },
  });
  assert.equal(j1.status, 200);
  assert.ok(j1.body.equals(j2.body), 'the same JSON answer bytes');

  // A gateway with a wrong token: its connections are refused, its requests fail (502), never served.
  const wrongGw = await gatewayFor(t, {
    replicaToken: 'not-the-secret',
    replicas: [{ id: 'rep-1', url: 'http://127.0.0.1:1', ready: true, frameAddress: address }],
  });
  const refused = await send(wrongGw.url + infer, { body: json, headers: { 'content-type': 'application/json' } });
  assert.equal(refused.status, 502, refused.body.toString());
  assert.match(refused.body.toString(), /refused the frame connection/);

  // The pool's own view: the refusal's 401 and its reason; with the right token the same pool shape works.
  const headers = ['content-type', 'application/json', 'x-serve-cluster-token', TOKEN];
  for (const token of ['wrong', undefined]) {
    const pool = new FramePool(address, { connections: 1, ...(token === undefined ? {} : { token }) });
    t.after(() => pool.destroy());
    const r = await viaPool(pool, headers, Buffer.from(json));
    assert.ok('error' in r, `token ${token}: refused`);
    assert.match(r.error.message, /refused the frame connection .*401 .*token does not match/);
  }
  const good = new FramePool(address, { connections: 1, token: TOKEN });
  t.after(() => good.destroy());
  const ok = await viaPool(good, headers, Buffer.from(json));
  assert.ok('status' in ok && ok.status === 200, JSON.stringify(ok));
  assert.equal(ok.body, j2.body.toString());

  // Raw connections: a request frame with no hello (even with the token header), an oversized hello
  // (its length alone, no payload sent): one 401 frame of id 0, then closed.
  const request = Buffer.concat([encodeRequestHead(1, 'POST', infer, headers, json.length), Buffer.from(json)]);
  const oversized = Buffer.from([0x00, 0x10, 0x00, 0x00, 0, 0, 0, 0, FrameType.hello]);
  for (const bytes of [request, oversized]) {
    const back = await rawExchange(address, bytes);
    assert.equal(back.readUInt32BE(4), 0, 'id 0');
    assert.equal(back[8], FrameType.response);
    const res = decodeResponse(back.subarray(9, 4 + back.readUInt32BE(0)));
    assert.equal(res.status, 401);
    assert.match(res.body.toString(), /must start with a hello frame/);
    assert.equal(back.length, 4 + back.readUInt32BE(0), 'nothing else: the request was not served');
  }
  // The right hello, then the request, in one write: served.
  const back = await rawExchange(address, Buffer.concat([encodeHello(TOKEN), request]), true);
  assert.equal(back.readUInt32BE(4), 1);
  assert.equal(decodeResponse(back.subarray(9, 4 + back.readUInt32BE(0))).status, 200);
});

/** A scripted replica side on loopback TCP: records each hello, hands each request to `answer`. */
async function tcpSide(t: TestContext, answer: (id: number, c: net.Socket) => void) {
  const hellos: string[] = [];
  const server = net.createServer((c) => {
    c.on('error', () => undefined);
    const d: FrameDecoder = new FrameDecoder({
      type: FrameType.hello,
      maxFrameBytes: 1024,
      onFrame: (f) => {
        hellos.push(f.payload.toString());
        d.expect({
          type: FrameType.request,
          maxFrameBytes: 1 << 20,
          onFrame: (r) => (decodeRequest(r.payload), answer(r.id, c)),
        });
      },
    });
    c.on('data', (chunk: Buffer) => d.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return { address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, hellos };
}

test('a TCP replica side that dies mid-frame fails what it carried; a port with no one fails at once', async (t) => {
  const s = await tcpSide(t, (id, c) => {
    // Half a response frame: its head says 100 bytes, 10 come, then the replica is gone.
    const head = Buffer.alloc(9);
    head.writeUInt32BE(100, 0);
    head.writeUInt32BE(id, 4);
    head[8] = FrameType.response;
    c.write(Buffer.concat([head, Buffer.alloc(10)]), () => c.destroy());
  });
  const pool = new FramePool(s.address, { connections: 2, token: TOKEN });
  t.after(() => pool.destroy());
  const rs = await Promise.all([1, 2, 3].map(() => viaPool(pool, ['a', 'b'], Buffer.from('x'))));
  for (const r of rs) {
    assert.ok('error' in r, JSON.stringify(r));
    // Closed (or reset, when the side closed with bytes of ours unread).
    assert.match(`${(r.error as { code?: string }).code}`, /^(UND_ERR_SOCKET|ECONNRESET)$/, r.error.message);
  }
  assert.ok(s.hellos.length >= 1 && s.hellos.every((h) => h === TOKEN), s.hellos.join(','));
  // The next request opens a new connection (and says hello again).
  const before = s.hellos.length;
  assert.ok('error' in (await viaPool(pool, ['a', 'b'], Buffer.from('x'))));
  assert.equal(s.hellos.length, before + 1);

  // Nothing listens there.
  const free = net.createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
  const port = (free.address() as net.AddressInfo).port;
  await new Promise((resolve) => free.close(resolve));
  const none = new FramePool(`127.0.0.1:${port}`, { connections: 1, token: TOKEN });
  t.after(() => none.destroy());
  const r = await viaPool(none, ['a', 'b'], Buffer.from('x'));
  assert.ok('error' in r && /ECONNREFUSED/.test(`${(r.error as { code?: string }).code}`), JSON.stringify(r));
});

test('frame addresses: host:port and [v6]:port parse, anything else does not', () => {
  assert.deepEqual(parseFrameAddress('10.0.0.2:41000'), { host: '10.0.0.2', port: 41000 });
  assert.deepEqual(parseFrameAddress('[::1]:9'), { host: '::1', port: 9 });
  assert.deepEqual(parseFrameAddress('gpu-1.lan:8001'), { host: 'gpu-1.lan', port: 8001 });
  for (const bad of ['10.0.0.2', '10.0.0.2:0', '10.0.0.2:70000', '::1:9', '/run/r.sock', 'a b:1', ':1'])
    assert.equal(parseFrameAddress(bad), undefined, bad);
});
