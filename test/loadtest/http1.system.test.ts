// The load client over real loopback sockets (loadtest): keep-alive reuse, Connection: close,
// chunked and binary answers, failures mid-body, queueing past the connection limit, refused connects.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { InferClient } from '../../src/loadtest/client.js';

const payload = { body: Buffer.from('{"inputs":[]}'), headers: { 'content-type': 'application/json' } };
const expectOutputs = [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }];
const answer = '{"outputs":[{"name":"y","datatype":"FP32","shape":[1,1],"data":[0.5]}]}';

/**
 * A raw HTTP server: `respond` gets each connection's socket and the request count on it, once per
 * complete request (head + Content-Length body). Counts connections; closes everything after the test.
 */
async function rawServer(t: TestContext, respond: (socket: net.Socket, nth: number) => void) {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const requests: string[] = [];
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    let nth = 0;
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        requests.push(buffered.slice(0, end + 4 + length));
        buffered = buffered.slice(end + 4 + length);
        respond(socket, nth++);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    requests,
    openSockets: () => sockets.size,
  };
}

function client(t: TestContext, url: string, opts: { connections?: number; timeoutMs?: number; check?: boolean } = {}) {
  const c = new InferClient(url, '/v2/models/m', {
    connections: opts.connections ?? 1,
    timeoutMs: opts.timeoutMs ?? 2000,
    expectOutputs: opts.check ? expectOutputs : undefined,
  });
  t.after(() => c.close());
  return c;
}

const ok = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

test('requests reuse one keep-alive connection and carry the payload with its headers', async (t) => {
  const srv = await rawServer(t, (s) => s.write(ok(answer)));
  const c = client(t, srv.url, { check: true });
  for (let i = 0; i < 20; i++) assert.deepEqual(await c.send(payload), { ok: true });
  assert.equal(srv.connections(), 1);
  const first = srv.requests[0]!;
  assert.match(first, /^POST \/v2\/models\/m\/infer HTTP\/1\.1\r\n/);
  assert.match(first, new RegExp(`\r\nhost: 127\\.0\\.0\\.1:\\d+\r\n`));
  assert.match(first, /\r\ncontent-type: application\/json\r\n/);
  assert.ok(first.endsWith('\r\n\r\n{"inputs":[]}'));
});

test('Connection: close answers are counted, and the next request opens a new connection', async (t) => {
  const srv = await rawServer(t, (s) => s.end(ok(answer, 'connection: close\r\n')));
  const c = client(t, srv.url, { check: true });
  for (let i = 0; i < 5; i++) assert.deepEqual(await c.send(payload), { ok: true });
  assert.equal(srv.connections(), 5);
});

test('chunked, close-delimited and binary answers are checked like plain ones', async (t) => {
  const chunked = (s: net.Socket) => {
    s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
    s.write(`10\r\n${answer.slice(0, 16)}\r\n`);
    s.write(`${(answer.length - 16).toString(16)}\r\n${answer.slice(16)}\r\n0\r\n\r\n`);
  };
  const binaryHeader = '{"outputs":[{"name":"y","datatype":"FP32","shape":[1,1],"parameters":{"binary_data_size":4}}]}';
  const binary = (s: net.Socket) =>
    s.write(ok(binaryHeader + '\x00\x00\x00\x3f', `inference-header-content-length: ${binaryHeader.length}\r\n`));
  const wrongShape = (s: net.Socket) => s.write(ok(answer.replace('[1,1]', '[1,2]')));
  const untilClose = (s: net.Socket) => s.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n${answer}`);
  const handlers = [chunked, binary, wrongShape, untilClose];
  const srv = await rawServer(t, (s, nth) => handlers[nth % handlers.length]!(s));
  const c = client(t, srv.url, { check: true });
  assert.deepEqual(await c.send(payload), { ok: true }, 'chunked');
  assert.deepEqual(await c.send(payload), { ok: true }, 'binary');
  assert.deepEqual(await c.send(payload), { ok: false, errorClass: 'bad_response' }, 'wrong shape');
  assert.deepEqual(await c.send(payload), { ok: true }, 'close-delimited');
});

test('error statuses are classed by status; a connection cut mid-body is a bad response, then it reconnects', async (t) => {
  const srv = await rawServer(t, (s, nth) => {
    if (srv.connections() === 1 && nth === 0)
      return void s.write('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 2\r\n\r\n{}');
    if (srv.connections() === 1 && nth === 1)
      return void s.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"outputs":');
    s.write(ok(answer));
  });
  const c = client(t, srv.url, { check: true });
  assert.deepEqual(await c.send(payload), { ok: false, errorClass: 'http_503' });
  // The server was reached and began to answer: not a connection failure.
  assert.deepEqual(await c.send(payload), { ok: false, errorClass: 'bad_response' });
  assert.deepEqual(await c.send(payload), { ok: true });
  assert.equal(srv.connections(), 2);
});

test('a garbled answer is a bad response and the socket is not reused', async (t) => {
  const srv = await rawServer(t, (s, nth) =>
    s.write(nth === 0 && srv.connections() === 1 ? 'HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n' : ok(answer)),
  );
  const c = client(t, srv.url);
  assert.deepEqual(await c.send(payload), { ok: false, errorClass: 'bad_response' });
  assert.deepEqual(await c.send(payload), { ok: true });
  assert.equal(srv.connections(), 2);
});

test('a request past its limit is a timeout, its socket is closed, and the client goes on', async (t) => {
  // The first request on each connection is never answered; later ones are.
  const srv = await rawServer(t, (s, nth) => {
    if (nth > 0 || srv.connections() > 1) s.write(ok(answer));
  });
  const c = client(t, srv.url, { timeoutMs: 200 });
  const t0 = performance.now();
  assert.deepEqual(await c.send(payload), { ok: false, errorClass: 'timeout' });
  const ms = performance.now() - t0;
  assert.ok(ms >= 195 && ms < 1500, `took ${ms} ms`);
  assert.deepEqual(await c.send(payload), { ok: true });
  const deadline = Date.now() + 2000;
  while (srv.openSockets() > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(srv.openSockets(), 1, 'the timed-out socket was closed');
});

test('requests beyond the connection limit wait their turn on the same sockets', async (t) => {
  const srv = await rawServer(t, (s) => setTimeout(() => s.write(ok(answer)), 5));
  const c = client(t, srv.url, { connections: 3, check: true });
  const outcomes = await Promise.all(Array.from({ length: 30 }, () => c.send(payload)));
  assert.deepEqual(
    outcomes,
    Array.from({ length: 30 }, () => ({ ok: true })),
  );
  assert.equal(srv.connections(), 3);
});

test('a refused connection is a connection error, quickly', async () => {
  // A port that was just free: nothing listens there.
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const c = new InferClient(`http://127.0.0.1:${port}`, '/v2/models/m', { connections: 2, timeoutMs: 5000 });
  try {
    const t0 = performance.now();
    const outcomes = await Promise.all([c.send(payload), c.send(payload), c.send(payload)]);
    assert.deepEqual(
      outcomes,
      Array.from({ length: 3 }, () => ({ ok: false, errorClass: 'connection' })),
    );
    assert.ok(performance.now() - t0 < 2000);
  } finally {
    await c.close();
  }
});

test('protocol errors from a server that was reached are bad responses, never connection failures', async (t) => {
  const cases: Array<[string, (s: net.Socket) => void]> = [
    ['garbage bytes instead of HTTP', (s) => s.end('SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02garbage\r\n\r\n')],
    ['garbage that never forms a head, then close', (s) => s.end('\x16\x03\x01\x02\x00')],
    ['Content-Length shorter than the body', (s) => s.write(`HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n${answer}`)],
    [
      'Content-Length longer than the body, then close',
      (s) => s.end(`HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n${answer}`),
    ],
    [
      'two different Content-Lengths',
      (s) => s.write(`HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd`),
    ],
    [
      'a head over 64 KiB',
      (s) => s.write(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(70 * 1024)}\r\ncontent-length: 2\r\n\r\n{}`),
    ],
    ['a reset before any answer', (s) => s.resetAndDestroy()],
    ['closed before any answer', (s) => s.end()],
  ];
  for (const [name, respond] of cases) {
    const srv = await rawServer(t, respond);
    const c = client(t, srv.url, { timeoutMs: 3000 });
    assert.deepEqual(await c.send(payload), { ok: false, errorClass: 'bad_response' }, name);
  }
});

test('a 2xx counts only if its body is an inference response, checked cheaply without --check-shape', async (t) => {
  const bodies: Array<[string, string, string, boolean]> = [
    ['an inference response', answer, '', true],
    [
      'one with spaces and the outputs last',
      ` { "model_name" : "m", "outputs" :\n [ {"name":"y","shape":[1,1],"data":[1]} ] }\n`,
      '',
      true,
    ],
    [
      'binary: JSON header then tensor bytes',
      '{"outputs":[{"name":"y","parameters":{"binary_data_size":4}}]}\x00\x00\x80\x3f',
      'inference-header-content-length: 62\r\n',
      true,
    ],
    ['an empty body', '', '', false],
    ['an HTML page', '<html><body>{"outputs":[]}</body></html>', '', false],
    ['an empty object', '{}', '', false],
    ['an error object', '{"error":"model not loaded"}', '', false],
    ['"outputs" as a value', '{"name":"outputs","data":[1]}', '', false],
    ['outputs that are not a list', '{"outputs":5}', '', false],
    ['JSON cut short', '{"outputs":[{"name":"y"', '', false],
    ['a binary header longer than the body', '{"outputs":[]}', 'inference-header-content-length: 99\r\n', false],
  ];
  const srv = await rawServer(t, (s, nth) => {
    const [, body, extra] = bodies[nth]!;
    s.write(ok(body, extra));
  });
  const c = client(t, srv.url);
  for (const [name, , , passes] of bodies) {
    assert.deepEqual(await c.send(payload), passes ? { ok: true } : { ok: false, errorClass: 'bad_response' }, name);
  }
  assert.equal(srv.connections(), 1, 'a well-framed answer keeps its connection, whatever its body');
});
