// Tests of the gateway's small parsers: deadlines, forwarded headers, stdin control lines (gateway).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseControlLine } from '../../src/gateway/control.js';
import { forwardBudgetMs } from '../../src/gateway/deadline.js';
import { parseTimeoutHeader as budgetMs } from '../../src/common/wire.js';
import { clientResponseHeaders, upstreamRequestHeaders } from '../../src/gateway/headers.js';

test('budget comes from the header, else the default; bad values are NaN', () => {
  assert.equal(budgetMs(undefined, 1000), 1000);
  assert.equal(budgetMs('250', 1000), 250);
  assert.equal(budgetMs('12.5', 1000), 12.5);
  for (const bad of ['', 'abc', '0', '-5', 'Infinity', '0x20', '1e3', '1e-300'])
    assert.ok(Number.isNaN(budgetMs(bad, 1000)), bad);
  assert.equal(budgetMs('99999999', 1000), 600_000);
  assert.equal(forwardBudgetMs(100.7, 2), 98);
  assert.equal(forwardBudgetMs(0.5, 2), 1);
});

test('request headers keep end-to-end ones and replace hop-by-hop ones and the budget', () => {
  const out = upstreamRequestHeaders(
    [
      'Host',
      'gw',
      'Content-Type',
      'application/octet-stream',
      'Inference-Header-Content-Length',
      '42',
      'x-serve-priority',
      '7',
      'Connection',
      'keep-alive',
      'Content-Length',
      '99',
      'X-Serve-Timeout-Ms',
      '500',
    ],
    321,
  );
  assert.deepEqual(out, [
    'Content-Type',
    'application/octet-stream',
    'Inference-Header-Content-Length',
    '42',
    'x-serve-priority',
    '7',
    'x-serve-timeout-ms',
    '321',
  ]);
  // A client's own in-flight hint is dropped; the gateway's count goes to replicas.
  assert.deepEqual(upstreamRequestHeaders(['X-Serve-Inflight', '999', 'x-serve-priority', '1'], 50, undefined, 12), [
    'x-serve-priority',
    '1',
    'x-serve-timeout-ms',
    '50',
    'x-serve-inflight',
    '12',
  ]);
});

test('response headers get the replica id, a content-length and merged Server-Timing', () => {
  const raw = [
    'Content-Type',
    'application/json',
    'Server-Timing',
    'infer;dur=3',
    'Date',
    'x',
    'Connection',
    'keep-alive',
    'x-serve-replica',
    'self',
    'Content-Length',
    '5',
  ].map((s) => Buffer.from(s));
  assert.deepEqual(clientResponseHeaders(raw, 10, 'r1', 'gateway;dur=1.000'), [
    'Content-Type',
    'application/json',
    'content-length',
    '10',
    'x-serve-replica',
    'r1',
    'server-timing',
    'gateway;dur=1.000, infer;dur=3',
  ]);
});

test('control lines: replicas and drain parse; bad lines say what is wrong', () => {
  assert.deepEqual(parseControlLine('{"type":"drain"}'), { type: 'drain' });
  assert.deepEqual(
    parseControlLine('{"type":"replicas","replicas":[{"id":"r1","url":"http://127.0.0.1:9","ready":true}]}'),
    {
      type: 'replicas',
      replicas: [{ id: 'r1', url: 'http://127.0.0.1:9', ready: true }],
    },
  );
  const bad: [string, RegExp][] = [
    ['nope', /not JSON/],
    ['[1]', /JSON object/],
    ['{"type":"scale"}', /unknown type "scale"/],
    ['{"type":"replicas"}', /"replicas" must be an array/],
    ['{"type":"replicas","replicas":[{"id":"","url":"http://x","ready":true}]}', /replicas\[0\]\.id/],
    ['{"type":"replicas","replicas":[{"id":"a","url":"ftp://x","ready":true}]}', /replicas\[0\]\.url/],
    ['{"type":"replicas","replicas":[{"id":"a","url":"http://x","ready":"yes"}]}', /replicas\[0\]\.ready/],
    [
      '{"type":"replicas","replicas":[{"id":"a","url":"http://x","ready":true},{"id":"a","url":"http://y","ready":true}]}',
      /appears twice/,
    ],
  ];
  for (const [line, re] of bad) assert.throws(() => parseControlLine(line), re, line);
});
