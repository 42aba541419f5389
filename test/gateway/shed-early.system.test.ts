// Shedding at the cheapest place (gateway, real loopback sockets): a request refused for load from
// its headers has its body never read (503 + Retry-After + Connection: close), and a connection whose
// whole request was refused is not read again until a slot frees, then served as usual.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { endpoints, fakesFor, gatewayFor, inferBody, inferPath, jsonHeaders, send, waitFor } from './client.js';
import type { GatewayHandle } from '../../src/gateway/handle.js';

/** A raw keep-alive connection: writes bytes, reads one whole response at a time (Content-Length framed). */
class RawConn {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  closed = false;
  closedAtMs = 0;
  readonly sock: net.Socket;
  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    this.sock.on('error', () => {});
    this.sock.on('close', () => {
      this.closed = true;
      this.closedAtMs = performance.now();
      this.waiter?.();
    });
  }
  write(bytes: string | Buffer): void {
    this.sock.write(bytes);
  }
  /** The next response: status, lower-cased headers, body text, and when it was complete. */
  async response(
    timeoutMs = 5000,
  ): Promise<{ status: number; headers: Record<string, string>; body: string; atMs: number }> {
    const until = performance.now() + timeoutMs;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const lines = this.buf.subarray(0, end).toString().split('\r\n');
        const headers = Object.fromEntries(
          lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
        );
        const length = Number(headers['content-length'] ?? 0);
        if (this.buf.length >= end + 4 + length) {
          const body = this.buf.subarray(end + 4, end + 4 + length).toString();
          this.buf = this.buf.subarray(end + 4 + length);
          return { status: Number(lines[0]!.split(' ')[1]), headers, body, atMs: performance.now() };
        }
      }
      if (this.closed) throw new Error('connection closed before a whole response');
      if (performance.now() > until) throw new Error('no response in time');
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 50);
      });
    }
  }
}

const request = (body: string, declared = Buffer.byteLength(body)) =>
  `POST ${inferPath} HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\ncontent-length: ${declared}\r\n\r\n${body}`;

/** A gateway with one slow replica (one slot) whose queue (one place) is full. */
async function fullGateway(
  t: Parameters<typeof gatewayFor>[0],
  delayMs: number,
): Promise<{ gw: GatewayHandle; first: Promise<unknown>[] }> {
  const [slow] = await fakesFor(t, { kind: 'ok', delayMs });
  const gw = await gatewayFor(t, {
    replicas: endpoints([slow!]),
    maxInflightPerReplica: 1,
    maxQueuedRequests: 1,
    requestTimeoutMs: 10_000,
  });
  const first = [0, 1].map((k) => send(gw.url + inferPath, { body: inferBody(k), headers: jsonHeaders }));
  await waitFor(
    () => gw.stats().queued === 1 && gw.stats().inflight === 1,
    5000,
    'one request in flight and one queued',
  );
  return { gw, first };
}

test('a request shed from its headers has its body never read: 503, Retry-After, Connection: close at once', async (t) => {
  const { gw, first } = await fullGateway(t, 1500);
  const c = new RawConn(gw.port);
  t.after(() => c.sock.destroy());
  // 1 MB announced, 100 bytes sent: the gateway must answer without waiting for (or reading) the rest.
  const t0 = performance.now();
  c.write(request('{"inputs":'.padEnd(100, ' '), 1_000_000));
  const r = await c.response();
  assert.equal(r.status, 503);
  assert.equal(r.headers['retry-after'], '1');
  assert.equal(r.headers.connection, 'close', 'the refused connection is closed, so its body is not read');
  assert.match(JSON.parse(r.body).error, /queue is full/);
  await waitFor(() => c.closed, 1200, 'the gateway to close the connection without reading the body');
  // Without the change the gateway waits for the body until its 1.5 s stall rule cuts the connection.
  assert.ok(
    c.closedAtMs - t0 < 1200,
    `closed after ${Math.round(c.closedAtMs - t0)} ms: the gateway waited for the body`,
  );
  for (const x of await Promise.all(first)) assert.equal((x as { status: number }).status, 200);
  assert.equal(
    (await send(gw.url + inferPath, { body: inferBody(5), headers: jsonHeaders })).status,
    200,
    'the gateway serves again',
  );
});

test('a connection whose whole request was shed is not read again until a slot frees, then is served', async (t) => {
  const { gw, first } = await fullGateway(t, 300);
  const c = new RawConn(gw.port);
  t.after(() => c.sock.destroy());
  c.write(request(inferBody(7)));
  const shed = await c.response();
  assert.equal(shed.status, 503);
  assert.equal(shed.headers['retry-after'], '1');
  assert.notEqual(shed.headers.connection, 'close', 'a request that arrived whole keeps its connection');
  // Sent while the queue is still full: without the pause it would be read and shed at once.
  c.write(request(inferBody(8)));
  const next = await c.response(5000);
  assert.equal(
    next.status,
    200,
    `the next request on the paused connection is served once the queue drains: ${next.body}`,
  );
  assert.ok(
    next.atMs - shed.atMs >= 250,
    `answered ${Math.round(next.atMs - shed.atMs)} ms after the 503: it was read while the queue was full`,
  );
  for (const x of await Promise.all(first)) assert.equal((x as { status: number }).status, 200);
  assert.equal(gw.stats().ejections, 0);
});
