// The gateway's frame pool (gateway/frame-pool.ts) against a scripted replica side on a real unix
// socket: answers matched by id, undici's handler callbacks in order, a side that dies mid-frame or
// breaks the format fails only what it carried, aborts drop late answers, close waits for in-flight.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeRequest, encodeResponseHead, FrameType, type FrameRequest } from '../../src/common/frames/codec.js';
import { FrameDecoder } from '../../src/common/frames/decoder.js';
import { FramePool, type FrameHandler } from '../../src/gateway/frame-pool.js';

type Answer = (id: number, req: FrameRequest, socket: net.Socket) => void;

/** A replica side on a fresh socket: each request goes to `answer` (which writes what it likes). */
async function side(t: TestContext, answer: Answer): Promise<{ path: string; server: net.Server; seen: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'serve-frames-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = { path: path.join(dir, 'r.frames.sock'), server: net.createServer(), seen: 0 };
  const sockets = new Set<net.Socket>();
  s.server.on('connection', (c) => {
    sockets.add(c);
    c.on('error', () => undefined);
    const d = new FrameDecoder({
      type: FrameType.request,
      maxFrameBytes: 1 << 20,
      onFrame: (f) => {
        s.seen++;
        answer(f.id, decodeRequest(f.payload), c);
      },
    });
    c.on('data', (chunk: Buffer) => d.push(chunk));
  });
  await new Promise<void>((resolve) => s.server.listen(s.path, resolve));
  t.after(() => {
    for (const c of sockets) c.destroy();
    s.server.close();
  });
  return s;
}

function reply(
  c: net.Socket,
  id: number,
  status: number,
  body: string,
  headers = ['content-type', 'text/plain'],
): void {
  c.write(Buffer.concat([encodeResponseHead(id, status, headers, Buffer.byteLength(body)), Buffer.from(body)]));
}

/** A handler that records its callbacks; `ended` settles on onComplete or onError. */
function recorder() {
  const calls: string[] = [];
  let abort: ((err?: Error) => void) | undefined;
  let settle!: (how: string) => void;
  const ended = new Promise<string>((r) => (settle = r));
  const r: {
    calls: string[];
    ended: Promise<string>;
    body: string;
    headers: string[];
    abort(): void;
    handler: FrameHandler;
  } = {
    calls,
    ended,
    body: '',
    headers: [] as string[],
    abort: () => abort!(new Error('deadline passed')),
    handler: {
      onConnect: (a) => void ((abort = a), calls.push('connect')),
      onRequestSent: () => void calls.push('sent'),
      onHeaders: (status, raw) => {
        calls.push(`headers ${status}`);
        r.headers = raw.map((b) => b.toString('latin1'));
        return true;
      },
      onData: (chunk) => ((r.body += chunk.toString()), true),
      onComplete: () => void (calls.push('complete'), settle('complete')),
      onError: (err) => void (calls.push(`error ${(err as { code?: string }).code ?? err.message}`), settle('error')),
    },
  };
  return r;
}

const opts = (body: string) => ({
  path: '/v2/models/m/infer',
  method: 'POST',
  headers: ['content-type', 'application/json'],
  body: Buffer.from(body),
});

test('many requests over the pool: answered out of order, each gets its own answer and undici-shaped calls', async (t) => {
  const held: Array<() => void> = [];
  const s = await side(t, (id, req, c) => held.push(() => reply(c, id, 200, `echo ${req.body.toString()}`)));
  const pool = new FramePool(s.path, { connections: 2 });
  t.after(() => pool.destroy());
  const rs = Array.from({ length: 20 }, (_, i) => {
    const r = recorder();
    pool.dispatch(opts(`#${i}`), r.handler);
    return r;
  });
  while (held.length < 20) await new Promise((r) => setTimeout(r, 5));
  for (const h of held.reverse()) h();
  await Promise.all(rs.map((r) => r.ended));
  rs.forEach((r, i) => {
    assert.deepEqual(r.calls, ['connect', 'sent', 'headers 200', 'complete']);
    assert.equal(r.body, `echo #${i}`);
    assert.deepEqual(r.headers, ['content-type', 'text/plain']);
  });
});

test('a replica side that dies mid-frame fails what was in flight with onError; the next request works', async (t) => {
  let die = true;
  const s = await side(t, (id, _req, c) => {
    if (!die) return reply(c, id, 200, 'fine');
    const whole = Buffer.concat([encodeResponseHead(id, 200, [], 100), Buffer.alloc(100)]);
    c.write(whole.subarray(0, 30), () => c.destroy());
  });
  const pool = new FramePool(s.path, { connections: 1 });
  t.after(() => pool.destroy());
  const a = recorder();
  const b = recorder();
  pool.dispatch(opts('a'), a.handler);
  pool.dispatch(opts('b'), b.handler);
  assert.equal(await a.ended, 'error');
  assert.equal(await b.ended, 'error');
  assert.deepEqual(a.calls, ['connect', 'sent', 'error UND_ERR_SOCKET']);
  die = false;
  const c = recorder();
  pool.dispatch(opts('c'), c.handler);
  assert.equal(await c.ended, 'complete');
  assert.equal(c.body, 'fine');
});

test('a response frame that breaks the format closes that connection only: its requests fail, a new one answers', async (t) => {
  let bad = true;
  const s = await side(t, (id, _req, c) => {
    if (!bad) return reply(c, id, 200, 'ok');
    const frame = Buffer.concat([encodeResponseHead(id, 200, [], 0)]);
    frame[8] = 7; // not a response
    c.write(frame);
  });
  const pool = new FramePool(s.path, { connections: 1 });
  t.after(() => pool.destroy());
  const a = recorder();
  pool.dispatch(opts('a'), a.handler);
  assert.equal(await a.ended, 'error');
  assert.match(a.calls.at(-1)!, /frame type 7/);
  bad = false;
  const b = recorder();
  pool.dispatch(opts('b'), b.handler);
  assert.equal(await b.ended, 'complete');
});

test('abort fails the request at once and drops the late answer; the connection serves on', async (t) => {
  const held: Array<() => void> = [];
  const s = await side(t, (id, _req, c) => held.push(() => reply(c, id, 200, 'late')));
  const pool = new FramePool(s.path, { connections: 1 });
  t.after(() => pool.destroy());
  const a = recorder();
  pool.dispatch(opts('a'), a.handler);
  a.abort();
  assert.equal(await a.ended, 'error');
  const b = recorder();
  pool.dispatch(opts('b'), b.handler);
  while (held.length < 2) await new Promise((r) => setTimeout(r, 5));
  for (const h of held) h();
  assert.equal(await b.ended, 'complete');
  assert.deepEqual(a.calls, ['connect', 'error deadline passed']);
  assert.equal(b.body, 'late');
});

test('no socket there: onError with the connect error; close waits for requests in flight', async (t) => {
  const pool = new FramePool('/nonexistent/dir/r.sock', { connections: 2 });
  const a = recorder();
  pool.dispatch(opts('a'), a.handler);
  assert.equal(await a.ended, 'error');
  assert.match(a.calls.at(-1)!, /ENOENT/);
  await pool.close();

  const held: Array<() => void> = [];
  const s = await side(t, (id, _req, c) => held.push(() => reply(c, id, 204, '')));
  const live = new FramePool(s.path, { connections: 2 });
  const b = recorder();
  live.dispatch(opts('b'), b.handler);
  while (held.length < 1) await new Promise((r) => setTimeout(r, 5));
  let closed = false;
  const closing = live.close().then(() => (closed = true));
  const late = recorder();
  assert.equal(live.dispatch(opts('late'), late.handler), false);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(closed, false, 'close waits for the request in flight');
  held[0]!();
  await closing;
  assert.deepEqual(b.calls, ['connect', 'sent', 'headers 204', 'complete']);
  assert.equal(await late.ended, 'error');
});
