// The load client's HTTP/1.1 response parser (loadtest, pure): every response is also fed split at
// every byte and one byte at a time, so no result depends on how the socket happened to chunk it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseParser } from '../../src/loadtest/http1/parser.js';

interface Parsed {
  status: number;
  keepAlive: boolean;
  keepAliveTimeoutMs: number | undefined;
  binaryHeaderLength: number | undefined;
  body: string;
  used: number;
}

/** Feeds `pieces` in order; the parsed response, or the error message. */
function feed(pieces: Buffer[], opts: { eof?: boolean } = {}): Parsed | string {
  const p = new ResponseParser();
  p.reset(true);
  let used = 0;
  for (const piece of pieces) {
    const step = p.execute(piece);
    if ('error' in step) return step.error;
    used += step.used;
    if (step.done) return summary(p, used);
  }
  if (opts.eof && p.finishAtEof()) return summary(p, used);
  return 'incomplete';
}

function summary(p: ResponseParser, used: number): Parsed {
  return {
    status: p.statusCode,
    keepAlive: p.keepAlive,
    keepAliveTimeoutMs: p.keepAliveTimeoutMs,
    binaryHeaderLength: p.binaryHeaderLength,
    body: Buffer.concat(p.body).toString('latin1'),
    used,
  };
}

/** The same result whole, split in two at every byte, and one byte at a time. */
function parseEverySplit(raw: string, opts: { eof?: boolean } = {}): Parsed | string {
  const bytes = Buffer.from(raw, 'latin1');
  const whole = feed([bytes], opts);
  for (let i = 1; i < bytes.length; i++) {
    assert.deepEqual(feed([bytes.subarray(0, i), bytes.subarray(i)], opts), whole, `split at byte ${i}`);
  }
  assert.deepEqual(
    feed(
      [...bytes].map((b) => Buffer.from([b])),
      opts,
    ),
    whole,
    'byte by byte',
  );
  return whole;
}

test('a Content-Length response: status, body and keep-alive hint, however it is split', () => {
  const raw =
    'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nKeep-Alive: timeout=5\r\nContent-Length: 11\r\n\r\n{"a":[1,2]}';
  assert.deepEqual(parseEverySplit(raw), {
    status: 200,
    keepAlive: true,
    keepAliveTimeoutMs: 5000,
    binaryHeaderLength: undefined,
    body: '{"a":[1,2]}',
    used: raw.length,
  });
});

test('a chunked body with extensions and trailers is reassembled, however it is split', () => {
  const raw =
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n' +
    '5;name=value\r\nhello\r\nA\r\n, chunked!\r\n1\r\n \r\n0\r\nX-Trailer: yes\r\n\r\n';
  const r = parseEverySplit(raw);
  assert.ok(typeof r !== 'string', String(r));
  assert.equal(r.body, 'hello, chunked! ');
  assert.equal(r.used, raw.length);
  assert.equal(r.keepAlive, true);
});

test('a chunked body without trailers and with upper-case hex sizes', () => {
  const body = 'x'.repeat(0x1f);
  const r = parseEverySplit(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1F\r\n${body}\r\n0\r\n\r\n`);
  assert.ok(typeof r !== 'string', String(r));
  assert.equal(r.body, body);
});

test('Connection: close and HTTP/1.0 without keep-alive end the connection after the response', () => {
  const closed = parseEverySplit(
    'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}',
  );
  assert.ok(typeof closed !== 'string');
  assert.equal(closed.status, 503);
  assert.equal(closed.keepAlive, false);
  const old = feed([Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')]);
  assert.ok(typeof old !== 'string');
  assert.equal(old.keepAlive, false);
  const oldKept = feed([Buffer.from('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n')]);
  assert.ok(typeof oldKept !== 'string');
  assert.equal(oldKept.keepAlive, true);
});

test('a body without length runs to the end of the connection', () => {
  const raw = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end';
  assert.equal(feed([Buffer.from(raw)]), 'incomplete');
  const r = parseEverySplit(raw, { eof: true });
  assert.ok(typeof r !== 'string', String(r));
  assert.equal(r.body, 'until the end');
  assert.equal(r.keepAlive, false);
});

test('the connection ending mid-body is not a complete response', () => {
  const p = new ResponseParser();
  p.reset(false);
  const raw = 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc';
  assert.deepEqual(p.execute(Buffer.from(raw)), { used: raw.length, done: false });
  assert.equal(p.finishAtEof(), false);
});

test('Inference-Header-Content-Length is read for binary answers', () => {
  const r = parseEverySplit(
    'HTTP/1.1 200 OK\r\nInference-Header-Content-Length: 7\r\nContent-Length: 9\r\n\r\n{"a":1}\x01\x02',
  );
  assert.ok(typeof r !== 'string');
  assert.equal(r.binaryHeaderLength, 7);
  assert.equal(r.body, '{"a":1}\x01\x02');
});

test('X-Model-Version is read (any case, made printable), and cleared for the next answer', () => {
  const p = new ResponseParser();
  p.reset(false);
  const first = 'HTTP/1.1 200 OK\r\nx-Model-VERSION: 2\r\nContent-Length: 2\r\n\r\nok';
  assert.deepEqual(p.execute(Buffer.from(first)), { used: first.length, done: true });
  assert.equal(p.modelVersion, '2');
  p.reset(false);
  const odd = 'HTTP/1.1 200 OK\r\nX-Model-Version: a b\r\nContent-Length: 2\r\n\r\nok';
  assert.deepEqual(p.execute(Buffer.from(odd)), { used: odd.length, done: true });
  assert.equal(p.modelVersion, 'a?b');
  p.reset(false);
  const none = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  assert.deepEqual(p.execute(Buffer.from(none)), { used: none.length, done: true });
  assert.equal(p.modelVersion, '');
});

test('interim 1xx answers are skipped; 204 has no body; bytes after the response are left unused', () => {
  const r = parseEverySplit('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  assert.ok(typeof r !== 'string');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'ok');
  const p = new ResponseParser();
  p.reset(true);
  const head = 'HTTP/1.1 204 No Content\r\n\r\n';
  assert.deepEqual(p.execute(Buffer.from(head + 'HTTP/1.1 200')), { used: head.length, done: true });
  assert.equal(p.statusCode, 204);
});

test('the body is not kept unless asked for, and reset clears the last response', () => {
  const p = new ResponseParser();
  p.reset(false);
  const first = 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc';
  assert.deepEqual(p.execute(Buffer.from(first)), { used: first.length, done: true });
  assert.equal(p.body.length, 0);
  p.reset(true);
  assert.equal(p.keepAlive, true);
  assert.equal(p.statusCode, 0);
  const second = 'HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nz';
  assert.deepEqual(p.execute(Buffer.from(second)), { used: second.length, done: true });
  assert.equal(p.statusCode, 201);
  assert.equal(Buffer.concat(p.body).toString(), 'z');
});

test('malformed responses are errors, not answers', () => {
  const bad = [
    'HTTP/2 200 OK\r\n\r\n',
    'HTTP/1.1 abc OK\r\n\r\n',
    'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n',
  ];
  for (const raw of bad) {
    const r = parseEverySplit(raw);
    assert.equal(typeof r, 'string', `accepted ${JSON.stringify(raw)}`);
    assert.notEqual(r, 'incomplete', `waited for more on ${JSON.stringify(raw)}`);
  }
  // A head that never ends is cut off rather than buffered without bound.
  const p = new ResponseParser();
  p.reset(false);
  let step = p.execute(Buffer.from('HTTP/1.1 200 OK\r\n'));
  for (let i = 0; i < 100 && !('error' in step); i++)
    step = p.execute(Buffer.from(`X-Filler: ${'y'.repeat(1000)}\r\n`));
  assert.ok('error' in step);
});
