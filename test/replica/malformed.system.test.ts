// A battery of malformed requests against a live replica while valid requests keep flowing: each
// bad one gets its own 4xx with {"error": ...} naming the problem (never a stack or a path), and
// every valid one still succeeds with the right answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryBody, decodeBinary, demoRegistry, jsonBody, maxAbsDiff, randomRows, readyReplica } from './helpers.js';

interface Case {
  name: string;
  status: number;
  error: RegExp;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: () => BodyInit;
}

const x1 = randomRows(1, 5);
const doc = (input: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 60, 16], data: Array.from(x1), ...input }],
    ...extra,
  });
const withBinary = (header: unknown, payload: Uint8Array): { body: Uint8Array<ArrayBuffer>; length: number } => {
  const h = Buffer.from(JSON.stringify(header));
  return { body: new Uint8Array(Buffer.concat([h, payload])), length: h.length };
};
const binInput = (size: number, shape = [1, 60, 16]) => ({
  inputs: [{ name: 'x', datatype: 'FP32', shape, parameters: { binary_data_size: size } }],
});
const nanRow = new Float32Array(960);
nanRow[17] = NaN;
const badSize = withBinary(binInput(3836), new Uint8Array(3836));
const nan = withBinary(binInput(3840), new Uint8Array(nanRow.buffer));
const trailing = withBinary(binInput(3840), new Uint8Array(3850));
const big = 'x'.repeat(300 * 1024);

const cases: Case[] = [
  { name: 'invalid JSON', status: 400, error: /not valid JSON/, body: () => '{"inputs": [' },
  { name: 'JSON array body', status: 400, error: /must be a JSON object/, body: () => '[1,2]' },
  { name: 'empty body', status: 400, error: /body is empty/, body: () => '' },
  { name: 'no inputs', status: 400, error: /"inputs" must be a non-empty array/, body: () => '{"id":"a"}' },
  { name: 'empty inputs', status: 400, error: /"inputs" must be a non-empty array/, body: () => '{"inputs":[]}' },
  { name: 'unknown input', status: 400, error: /unknown input "y".*takes "x"/, body: () => doc({ name: 'y' }) },
  {
    name: 'duplicate input',
    status: 400,
    error: /given twice/,
    body: () => JSON.stringify({ inputs: [JSON.parse(doc({})).inputs[0], JSON.parse(doc({})).inputs[0]] }),
  },
  { name: 'missing data', status: 400, error: /has no "data"/, body: () => doc({ data: undefined }) },
  {
    name: 'wrong datatype',
    status: 400,
    error: /datatype INT32, the model expects FP32/,
    body: () => doc({ datatype: 'INT32' }),
  },
  { name: 'wrong rank', status: 400, error: /rank 2 .*expects rank 3/, body: () => doc({ shape: [60, 16] }) },
  {
    name: 'wrong dimension',
    status: 400,
    error: /dimension 1 is 59, the model expects 60/,
    body: () => doc({ shape: [1, 59, 16] }),
  },
  { name: 'negative dimension', status: 400, error: /non-negative integers/, body: () => doc({ shape: [-1, 60, 16] }) },
  {
    name: 'too few values',
    status: 400,
    error: /has 959 values in "data" but shape needs 960/,
    body: () => doc({ data: Array.from(x1).slice(1) }),
  },
  {
    name: 'string value',
    status: 400,
    error: /data\[3\] is string/,
    body: () => doc({ data: Array.from(x1, (v, i) => (i === 3 ? 'a' : v)) }),
  },
  {
    name: 'null value',
    status: 400,
    error: /data\[0\] is null/,
    body: () => doc({ data: Array.from(x1, (v, i) => (i === 0 ? null : v)) }),
  },
  {
    name: 'overflow to Infinity',
    status: 400,
    error: /element 5 is Infinity/,
    body: () => doc({ data: Array.from(x1, (v, i) => (i === 5 ? 1e39 : v)) }),
  },
  { name: 'too many rows', status: 400, error: /at most 8 per request/, body: () => jsonBody(randomRows(9, 1), 9) },
  {
    name: 'JSON nested too deep',
    status: 400,
    error: /nesting is deeper than 32/,
    body: () => `{"inputs":${'['.repeat(5000)}${']'.repeat(5000)}}`,
  },
  {
    name: 'data nested deeper than rank',
    status: 400,
    error: /nested deeper than its rank 3/,
    body: () => doc({ data: [[[[1]]]] }),
  },
  {
    name: 'unknown output',
    status: 400,
    error: /unknown output "logits".*produces "probs"/,
    body: () => doc({}, { outputs: [{ name: 'logits' }] }),
  },
  {
    name: 'binary_data_output not boolean',
    status: 400,
    error: /binary_data_output must be true or false/,
    body: () => doc({}, { parameters: { binary_data_output: 'yes' } }),
  },
  { name: 'numeric id', status: 400, error: /"id" must be a string/, body: () => doc({}, { id: 5 }) },
  {
    name: 'binary size mismatch',
    status: 400,
    error: /binary_data_size is 3836 bytes but shape \[1,60,16\] of FP32 needs 3840/,
    headers: { 'inference-header-content-length': String(badSize.length) },
    body: () => badSize.body,
  },
  {
    name: 'binary NaN',
    status: 400,
    error: /element 17 is NaN/,
    headers: { 'inference-header-content-length': String(nan.length) },
    body: () => nan.body,
  },
  {
    name: 'binary trailing bytes',
    status: 400,
    error: /10 bytes after the last binary tensor/,
    headers: { 'inference-header-content-length': String(trailing.length) },
    body: () => trailing.body,
  },
  {
    name: 'header length past body',
    status: 400,
    error: /Inference-Header-Content-Length is 99999 but the body has only/,
    headers: { 'inference-header-content-length': '99999' },
    body: () => doc({}),
  },
  {
    name: 'header length not a number',
    status: 400,
    error: /inference-header-content-length must be a non-negative integer/,
    headers: { 'inference-header-content-length': 'abc' },
    body: () => doc({}),
  },
  {
    name: 'binary size without header',
    status: 400,
    error: /has no Inference-Header-Content-Length header/,
    body: () => JSON.stringify(binInput(3840)),
  },
  {
    name: 'text/plain content type',
    status: 415,
    error: /Content-Type text\/plain is not accepted/,
    headers: { 'content-type': 'text/plain' },
    body: () => doc({}),
  },
  {
    name: 'gzip content encoding',
    status: 415,
    error: /Content-Encoding gzip is not supported/,
    headers: { 'content-encoding': 'gzip' },
    body: () => doc({}),
  },
  {
    name: 'oversized body',
    status: 413,
    error: /request body too large: Content-Length is \d+ bytes; this replica accepts at most 262144/,
    body: () => big,
  },
  {
    name: 'oversized chunked body',
    status: 413,
    error: /request body too large: body exceeded 262144 bytes/,
    body: () => chunked(40, 16 * 1024),
  },
  {
    name: 'bad priority header',
    status: 400,
    error: /x-serve-priority must be an integer from 0 to 9/,
    headers: { 'x-serve-priority': 'high' },
    body: () => doc({}),
  },
  {
    name: 'bad timeout header',
    status: 400,
    error: /x-serve-timeout-ms must be a positive number of milliseconds/,
    headers: { 'x-serve-timeout-ms': '-5' },
    body: () => doc({}),
  },
  {
    name: 'unknown model',
    status: 404,
    error: /model "other" is not served here/,
    path: '/v2/models/other/infer',
    body: () => doc({}),
  },
  {
    name: 'unknown version',
    status: 404,
    error: /version "3" is not served here/,
    path: '/v2/models/cnn-lstm/versions/3/infer',
    body: () => doc({}),
  },
  { name: 'GET on infer', status: 405, error: /method GET is not allowed here: use POST/, method: 'GET' },
  {
    name: 'unknown endpoint',
    status: 404,
    error: /no such endpoint POST \/v2\/whatever/,
    path: '/v2/whatever',
    body: () => '{}',
  },
];

function chunked(chunks: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ >= chunks) controller.close();
      else controller.enqueue(new Uint8Array(size).fill(32));
    },
  });
}

test(`${cases.length} malformed requests get a precise 4xx while valid load keeps succeeding`, async (t) => {
  assert.ok(cases.length >= 25);
  const reg = await demoRegistry(t);
  const r = await readyReplica(t, reg, { maxBatchSize: 8, batchWaitMs: 2, maxBodyBytes: 256 * 1024 });
  const valid = binaryBody(x1, 1);
  const send = () =>
    fetch(`${r.url}/v2/models/cnn-lstm/infer`, {
      method: 'POST',
      headers: { 'inference-header-content-length': String(valid.headerLength) },
      body: valid.body,
    });
  const firstRes = await send();
  const expected = decodeBinary(
    Buffer.from(await firstRes.arrayBuffer()),
    Number(firstRes.headers.get('inference-header-content-length')),
  ).probs;

  let stop = false;
  const validResults: Array<{ status: number; diff: number }> = [];
  const worker = async () => {
    const end = Date.now() + 60_000;
    for (let i = 0; i < 2000 && !stop && Date.now() < end; i++) {
      const res = await send();
      const buf = Buffer.from(await res.arrayBuffer());
      const diff =
        res.status === 200
          ? maxAbsDiff(decodeBinary(buf, Number(res.headers.get('inference-header-content-length'))).probs, expected)
          : Infinity;
      validResults.push({ status: res.status, diff });
    }
  };
  const load = Promise.all([worker(), worker(), worker(), worker()]);
  try {
    for (const c of cases) {
      const init: RequestInit & { duplex?: string } = {
        method: c.method ?? 'POST',
        headers: { 'content-type': 'application/json', ...c.headers },
      };
      if (c.body) {
        init.body = c.body();
        if (init.body instanceof ReadableStream) init.duplex = 'half';
      }
      const res = await fetch(r.url + (c.path ?? '/v2/models/cnn-lstm/infer'), init);
      const text = await res.text();
      assert.equal(res.status, c.status, `${c.name}: got ${res.status} ${text}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, c.name);
      const body = JSON.parse(text) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['error'], c.name);
      assert.match(String(body.error), c.error, c.name);
      assert.doesNotMatch(
        text,
        /\bat \w+ \(|node_modules|\/work\/|\.js:\d|\/tmp\//,
        `${c.name} leaks internals: ${text}`,
      );
    }
  } finally {
    stop = true;
    await load;
  }
  assert.ok(validResults.length >= 8, `only ${validResults.length} valid requests ran`);
  assert.deepEqual(
    validResults.filter((v) => v.status !== 200 || v.diff > 1e-6),
    [],
    'a valid request failed during the battery',
  );
  // The replica is still healthy afterwards.
  assert.equal((await fetch(`${r.url}/v2/health/ready`)).status, 200);
});
