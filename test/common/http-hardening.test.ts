// Hostile and broken HTTP against a real gateway and a real replica, over raw sockets (common:
// http-hardening, used by both servers): requests Node's parser rejects get our own
// `{"error": ...}`, never 5xx; headers or bodies that stop arriving get 408 or a close within about
// 2 s, a connection that sends nothing a close within 5 s; idle keep-alive connections and long
// inference waits are left alone.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startGateway } from '../../src/gateway/server.js';
import { createLogger } from '../../src/common/log.js';
import { demoRegistry, readyReplica } from '../replica/helpers.js';

const INFER = '/v2/models/cnn-lstm/infer';
const quietLog = () => createLogger({ component: 'test' }, { write: () => {} });

interface RawResult {
  /** Bytes received, as latin1 text. */
  text: string;
  /** The connection was closed (by the server) within the wait. */
  closed: boolean;
  /** When the last byte arrived or the close came, ms after connecting. */
  atMs: number;
}

/**
 * Writes `steps` to a fresh connection (strings are sent, numbers are pauses, null half-closes) and
 * reads until the server closes it, `waitMs` passes, or `answers` complete responses have arrived.
 */
function raw(
  port: number,
  steps: (string | Buffer | number | null)[],
  waitMs: number,
  answers = Infinity,
): Promise<RawResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let atMs = 0;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, atMs: closed ? performance.now() - t0 : atMs });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    const play = async () => {
      for (const s of steps) {
        if (done || socket.destroyed) return;
        if (typeof s === 'number') await new Promise((r) => setTimeout(r, s));
        else if (s === null) socket.end();
        else socket.write(s);
      }
    };
    socket.on('connect', () => void play());
    socket.on('data', (d) => {
      text += d.toString('latin1');
      atMs = performance.now() - t0;
      if (responses(text).length >= answers) finish(false);
    });
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
  });
}

/** The status and parsed body of each response in `text`. */
function responses(text: string): { status: number; headers: string; body: string }[] {
  const out: { status: number; headers: string; body: string }[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const headers = rest.slice(0, end);
    const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
    out.push({ status: Number(headers.slice(9, 12)), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

/** Asserts one error answer in our own words: JSON `{"error": "..."}`, no Node message, stack or path. */
function assertOwnError(what: string, r: { status: number; headers: string; body: string }): void {
  assert.match(r.headers, /content-type: application\/json/i, `${what}: not JSON`);
  const parsed = JSON.parse(r.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ['error'], `${what}: ${r.body}`);
  const msg = String(parsed.error);
  assert.ok(msg.length > 10, `${what}: ${msg}`);
  assert.doesNotMatch(msg, /Error:|HPE_|ERR_|Parse Error|\n\s+at |node:|\/work\/|\/home\/|\.js/, `${what}: ${msg}`);
}

const head = (method: string, path: string, headers: string[] = []) =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\n${headers.map((h) => h + '\r\n').join('')}`;

interface Case {
  name: string;
  steps: (string | Buffer | number | null)[];
  /** Expected status, or 'close' for a close with nothing written. */
  expect: number | 'close';
  /** The answer (or close) must come this soon (ms). */
  withinMs: number;
  /** The connection must be closed by then too. */
  closes?: boolean;
}

function battery(path: string): Case[] {
  return [
    {
      name: 'Content-Length with Transfer-Encoding (smuggling)',
      steps: [head('POST', path, ['Content-Length: 5', 'Transfer-Encoding: chunked']) + '\r\n0\r\n\r\n'],
      expect: 400,
      withinMs: 1000,
      closes: true,
    },
    {
      name: 'two Content-Lengths',
      steps: [head('POST', path, ['Content-Length: 5', 'Content-Length: 6']) + '\r\nabcdef'],
      expect: 400,
      withinMs: 1000,
      closes: true,
    },
    {
      name: 'a bad chunk size',
      steps: [head('POST', path, ['Transfer-Encoding: chunked']) + '\r\nzz\r\nabc\r\n0\r\n\r\n'],
      expect: 400,
      withinMs: 1000,
      closes: true,
    },
    {
      name: 'a header line without a colon',
      steps: [head('GET', '/v2/health/live', ['no-colon-here']) + '\r\n'],
      expect: 400,
      withinMs: 1000,
      closes: true,
    },
    {
      name: 'CONNECT',
      steps: ['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'],
      expect: 405,
      withinMs: 1000,
      closes: true,
    },
    {
      name: 'an unknown method',
      steps: ['BREW /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n'],
      expect: 400,
      withinMs: 1000,
      closes: true,
    },
    {
      name: 'a garbage request line',
      steps: ['GET /v2/health/live XTTP/1.1\r\nHost: x\r\n\r\n'],
      expect: 400,
      withinMs: 1000,
      closes: true,
    },
    {
      name: 'a NUL in a header value',
      steps: [head('GET', '/v2/health/live', ['X-A: b\0c']) + '\r\n'],
      expect: 400,
      withinMs: 1000,
      closes: true,
    },
    {
      name: '20 KB of headers',
      steps: [head('GET', '/v2/health/live', [`X-Big: ${'a'.repeat(20_000)}`]) + '\r\n'],
      expect: 431,
      withinMs: 1000,
      closes: true,
    },
    {
      name: 'a truncated body, then end of input',
      steps: [
        head('POST', path, ['Content-Type: application/json', 'Content-Length: 100']) + '\r\n{"inputs":',
        100,
        null,
      ],
      expect: 400,
      withinMs: 1500,
      closes: true,
    },
    {
      name: 'a truncated chunked body, then end of input',
      steps: [
        head('POST', path, ['Content-Type: application/json', 'Transfer-Encoding: chunked']) + '\r\n5\r\n{"inp',
        100,
        null,
      ],
      expect: 400,
      withinMs: 1500,
      closes: true,
    },
    {
      name: 'a body that stops arriving (long budget)',
      steps: [
        head('POST', path, ['Content-Type: application/json', 'Content-Length: 100', 'x-serve-timeout-ms: 10000']) +
          '\r\n{"inputs":',
      ],
      expect: 408,
      withinMs: 2500,
      closes: true,
    },
    {
      name: 'a chunked body that stops arriving',
      steps: [
        head('POST', path, [
          'Content-Type: application/json',
          'Transfer-Encoding: chunked',
          'x-serve-timeout-ms: 10000',
        ]) + '\r\n5\r\n{"inp\r\n',
      ],
      expect: 408,
      withinMs: 2500,
      closes: true,
    },
    {
      name: 'headers that stop arriving (slowloris)',
      steps: [
        `POST ${path} HTTP/1.1\r\nHost: x\r\n`,
        400,
        'X-A: 1\r\n',
        400,
        'X-B: 2\r\n',
        400,
        'X-C: 3\r\n',
        400,
        'X-D: 4\r\n',
        400,
        'X-E: 5\r\n',
      ],
      expect: 408,
      withinMs: 2500,
      closes: true,
    },
    { name: 'a connection that sends nothing', steps: [], expect: 'close', withinMs: 6000 },
    {
      name: 'a connection that sends its request after 3 s',
      steps: [3000, head('GET', '/v2/health/live') + '\r\n'],
      expect: 200,
      withinMs: 4000,
    },
    {
      name: 'an early answer whose body then stops arriving',
      steps: [head('POST', '/nowhere', ['Content-Length: 100']) + '\r\nabc'],
      expect: 404,
      withinMs: 2500,
      closes: true,
    },
  ];
}

async function runBattery(t: TestContext, label: string, port: number, path: string): Promise<void> {
  const cases = battery(path);
  const results = await Promise.all(cases.map((c) => raw(port, c.steps, 7000, c.expect === 200 ? 1 : Infinity)));
  cases.forEach((c, i) => {
    const r = results[i]!;
    const what = `${label}: ${c.name}`;
    const got = responses(r.text);
    if (c.expect === 'close') {
      assert.equal(r.text, '', `${what}: expected no status line, got ${JSON.stringify(r.text.slice(0, 80))}`);
      assert.ok(r.closed && r.atMs < c.withinMs, `${what}: closed ${r.closed} after ${Math.round(r.atMs)} ms`);
      return;
    }
    assert.equal(got.length, 1, `${what}: expected one response, got ${JSON.stringify(r.text.slice(0, 200))}`);
    assert.equal(got[0]!.status, c.expect, `${what}: ${JSON.stringify(r.text.slice(0, 300))}`);
    if (c.expect === 200) return;
    assertOwnError(what, got[0]!);
    assert.ok(r.atMs < c.withinMs, `${what}: took ${Math.round(r.atMs)} ms`);
    if (c.closes) assert.ok(r.closed, `${what}: the connection stayed open`);
  });
  t.diagnostic(`${label}: ${cases.length} cases, slowest ${Math.round(Math.max(...results.map((r) => r.atMs)))} ms`);
}

test('malformed, oversized and stalled requests get our own JSON errors (never 5xx) or a close within 2 s (5 s if nothing was sent), on gateway and replica', async (t) => {
  const registry = await demoRegistry(t);
  const replica = await readyReplica(t, registry, { replicaId: 'r1' });
  const gw = await startGateway({
    port: 0,
    logger: quietLog(),
    replicas: [{ id: 'r1', url: replica.url, ready: true }],
  });
  t.after(() => gw.close());
  await Promise.all([
    runBattery(t, 'gateway', gw.port, INFER),
    runBattery(t, 'replica', Number(new URL(replica.url).port), INFER),
  ]);
  // A body still arriving when the gateway's deadline passes is the client's doing: 408, not 504.
  const late = await raw(
    gw.port,
    [
      head('POST', INFER, ['Content-Type: application/json', 'Content-Length: 100', 'x-serve-timeout-ms: 300']) +
        '\r\n{"inputs":',
    ],
    3000,
  );
  const [answer] = responses(late.text);
  assert.equal(answer?.status, 408, late.text.slice(0, 200));
  assertOwnError('gateway: deadline while the body arrives', answer!);
  assert.match(answer!.body, /did not arrive within the deadline of 300 ms/);
  const s = gw.stats();
  assert.equal(s.ejections, 0);
  assert.deepEqual(
    s.replicas.map((r) => [r.state, r.consecutiveFailures]),
    [['ready', 0]],
    "a client's broken request is never the replica's failure",
  );
});

test('idle keep-alive connections and long inference waits are not cut', async (t) => {
  const registry = await demoRegistry(t);
  // One request waits 2.5 s for others to batch with: longer than any request timeout above.
  const slow = await readyReplica(t, registry, { replicaId: 'slow', batchWaitMs: 2500, batchingMode: 'fixed' });
  const gw = await startGateway({
    port: 0,
    logger: quietLog(),
    replicas: [{ id: 'slow', url: slow.url, ready: true }],
  });
  t.after(() => gw.close());
  const body = JSON.stringify({
    inputs: [{ name: 'x', shape: [1, 60, 16], datatype: 'FP32', data: new Array(960).fill(0.1) }],
  });
  const post =
    head('POST', INFER, [
      'Content-Type: application/json',
      `Content-Length: ${body.length}`,
      'x-serve-timeout-ms: 5000',
    ]) +
    '\r\n' +
    body;
  const live = head('GET', '/v2/health/live') + '\r\n';
  await Promise.all(
    (
      [
        ['gateway', gw.port],
        ['replica', Number(new URL(slow.url).port)],
      ] as const
    ).map(async ([label, port]) => {
      const [idle, waiting] = await Promise.all([raw(port, [live, 2500, live], 4000, 2), raw(port, [post], 5000, 1)]);
      assert.deepEqual(
        responses(idle.text).map((r) => r.status),
        [200, 200],
        `${label}: keep-alive cut after ${Math.round(idle.atMs)} ms`,
      );
      assert.equal(idle.closed, false, `${label}: the idle connection was closed`);
      const answered = responses(waiting.text);
      assert.deepEqual(
        answered.map((r) => r.status),
        [200],
        `${label}: ${waiting.text.slice(0, 200)}`,
      );
      assert.ok(
        waiting.atMs >= 2000,
        `${label}: answered after ${Math.round(waiting.atMs)} ms, sooner than the batch wait`,
      );
    }),
  );
});

test('the clientError answer is written only where a response can still start', async (t) => {
  // A bare server with the same hardening: a parse error after a response has begun is a close.
  const { hardenServer } = await import('../../src/common/http-hardening.js');
  const { hardenedServerOptions } = await import('../../src/common/http-timeouts.js');
  const server = http.createServer(hardenedServerOptions(), (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
  });
  hardenServer(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const port = (server.address() as AddressInfo).port;
  const r = await raw(
    port,
    [head('POST', '/', ['Transfer-Encoding: chunked']) + '\r\n3\r\nabc\r\n', 100, 'zz\r\n'],
    3000,
  );
  assert.ok(r.closed, 'closed');
  assert.match(r.text, /^HTTP\/1\.1 200 OK/);
  assert.doesNotMatch(r.text, /HTTP\/1\.1 400/, 'no second status line inside a response already started');
});
