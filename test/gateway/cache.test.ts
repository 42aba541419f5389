// The response cache's pure parts: the key (model, version, tensors, outputs and form; not the id),
// the answer kept without its id and given back with the asker's, LRU eviction by entries and
// bytes, and TTL expiry on the caller's clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerBody, answerFromReply, decodeAnswer, encodeAnswer } from '../../src/gateway/cache/answer.js';
import { findTopLevelMember } from '../../src/gateway/cache/json-scan.js';
import { MemoryStore } from '../../src/gateway/cache/memory-store.js';
import { parseInferPath, requestKey } from '../../src/gateway/cache/request-key.js';
import { reconnectDelayMs, checkRedisUrl } from '../../src/gateway/cache/redis-level.js';

const b = (s: string) => Buffer.from(s);
const cut = (s: string) => {
  const r = findTopLevelMember(b(s), 'id');
  assert.ok(r.ok);
  return r.member === undefined ? s : s.slice(0, r.member.start) + s.slice(r.member.end);
};

test('the "id" member is found at any place and cut with one comma, leaving valid JSON', () => {
  assert.equal(cut('{"id":"a","inputs":[1,2]}'), '{"inputs":[1,2]}');
  assert.equal(cut('{"inputs":[1,2],"id":"a"}'), '{"inputs":[1,2]}');
  assert.equal(cut('{ "x": {"id": 1}, "id" : 7 , "y": "}{\\"id\\"" }'), '{ "x": {"id": 1}, "y": "}{\\"id\\"" }');
  assert.equal(cut('{"inputs":[]}'), '{"inputs":[]}');
  assert.equal(cut('{"id":null}'), '{}');
  for (const bad of ['[1]', '{"id":1,"id":2}', '{"a":1', '{"id" 1}', '', '{"a":1} x', '{"x":{"id":1}'])
    assert.equal(findTopLevelMember(b(bad), 'id').ok, false, bad);
});

test('the key ignores the request id but not the tensors, outputs, form, model or version', () => {
  const url = '/v2/models/m/infer';
  const body = (data: string, extra = '') =>
    `{${extra}"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":${data}}]}`;
  const k = (u: string, s: string | Buffer, hl?: number) => requestKey(u, typeof s === 'string' ? b(s) : s, hl)!;
  const base = k(url, body('[1,2]'));
  assert.equal(k(url, body('[1,2]', '"id":"r1",')).digest, base.digest);
  assert.equal(k(url, body('[1,2]', '"id":"r2",')).idJson, '"r2"');
  assert.equal(
    k(url, `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}],"id":"r3"}`).digest,
    base.digest,
  );
  // A replica refuses an id that is not a string (400): such a request is not keyed, so a hit cannot answer it 200.
  for (const id of ['7', 'null', '{"a":1}', '["r"]'])
    assert.equal(requestKey(url, b(body('[1,2]', `"id":${id},`)), undefined), undefined, id);
  assert.notEqual(k(url, body('[1,3]')).digest, base.digest);
  assert.notEqual(k(url, body('[1,2]', '"outputs":[{"name":"y"}],')).digest, base.digest);
  assert.notEqual(k(url, body('[1,2]', '"parameters":{"binary_data_output":true},')).digest, base.digest);
  assert.deepEqual([k('/v2/models/m/versions/3/infer', body('[1,2]')).pathVersion, base.pathVersion], ['3', undefined]);
  // Binary extension: the JSON header without its id, then the raw tensor bytes.
  const header = (id: string) =>
    `{${id}"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","parameters":{"binary_data_size":8}}]}`;
  const bin = (id: string, x: number[]) => Buffer.concat([b(header(id)), Buffer.from(new Float32Array(x).buffer)]);
  const b1 = k(url, bin('', [1, 2]), header('').length);
  assert.equal(k(url, bin('"id":"q",', [1, 2]), header('"id":"q",').length).digest, b1.digest);
  assert.notEqual(k(url, bin('', [1, 3]), header('').length).digest, b1.digest);
  assert.notEqual(b1.digest, base.digest);
  assert.equal(requestKey(url, bin('', [1, 2]), 10_000), undefined, 'a header length past the body: not cacheable');
  assert.equal(requestKey(url, b('not json'), undefined), undefined);
  assert.deepEqual(parseInferPath('/v2/models/a%2Fb/versions/2/infer?x=1'), { model: 'a/b', version: '2' });
  assert.equal(parseInferPath('/v2/models/m'), undefined);
});

test("an answer is kept without its id and given back with the asker's (JSON and binary), and survives Redis bytes", () => {
  const json = answerFromReply(
    [b('content-type'), b('application/json')],
    b('{"model_name":"m","model_version":"4","id":"first","outputs":[{"name":"y","data":[1]}]}'),
  )!;
  assert.equal(json.version, '4');
  assert.equal(
    answerBody(json, '"second"').body.toString(),
    '{"id":"second","model_name":"m","model_version":"4","outputs":[{"name":"y","data":[1]}]}',
  );
  assert.equal(
    answerBody(json, undefined).body.toString(),
    '{"model_name":"m","model_version":"4","outputs":[{"name":"y","data":[1]}]}',
  );
  const head =
    '{"model_name":"m","model_version":"4","id":"a","outputs":[{"name":"y","parameters":{"binary_data_size":4}}]}';
  const tensors = Buffer.from([1, 2, 3, 4]);
  const bin = answerFromReply(
    [b('Content-Type'), b('application/octet-stream'), b('Inference-Header-Content-Length'), b(String(head.length))],
    Buffer.concat([b(head), tensors]),
  )!;
  const out = answerBody(bin, '"zz"');
  assert.equal(out.headerLength, head.length - '"a"'.length + '"zz"'.length);
  assert.deepEqual(out.body.subarray(out.headerLength!), tensors);
  assert.deepEqual(JSON.parse(out.body.subarray(0, out.headerLength!).toString()).id, 'zz');
  for (const a of [json, bin]) assert.deepEqual(decodeAnswer(encodeAnswer(a)), a);
  assert.equal(decodeAnswer(b('garbage')), undefined);
});

test('the memory level: hit, miss, TTL expiry, and least-recently-used eviction by entries and by bytes', () => {
  const byEntries = new MemoryStore<string>({ maxEntries: 2, maxBytes: 1e9, ttlMs: 100 });
  byEntries.set('a', 'A', 10, 0);
  byEntries.set('b', 'B', 10, 0);
  assert.equal(byEntries.get('a', 1), 'A'); // a is now the most recently used
  assert.equal(byEntries.get('zz', 1), undefined);
  byEntries.set('c', 'C', 10, 2);
  assert.deepEqual([byEntries.get('a', 3), byEntries.get('b', 3), byEntries.get('c', 3)], ['A', undefined, 'C']);
  assert.equal(byEntries.evictions, 1);
  assert.equal(byEntries.get('a', 99.9), 'A');
  assert.equal(byEntries.get('a', 100), undefined, 'expired at its TTL');
  assert.equal(byEntries.size, 1);

  const byBytes = new MemoryStore<string>({ maxEntries: 100, maxBytes: 100, ttlMs: 1000 });
  byBytes.set('k1', 'x', 38, 0); // 40 bytes with the key
  byBytes.set('k2', 'y', 38, 0);
  assert.equal(byBytes.bytes, 80);
  byBytes.set('k3', 'z', 38, 0); // 120 > 100: k1 goes
  assert.deepEqual([byBytes.get('k1', 1), byBytes.get('k2', 1), byBytes.get('k3', 1)], [undefined, 'y', 'z']);
  assert.equal(byBytes.bytes, 80);
  assert.equal(byBytes.evictions, 1);
  assert.equal(byBytes.set('huge', 'h', 500, 0), false, 'bigger than the whole limit: not kept');
  assert.equal(byBytes.size, 2);
});

test('Redis: reconnect backoff grows to 5 s, and a URL that is not redis:// is refused without echoing it', () => {
  assert.deepEqual([1, 2, 3, 10, 100].map(reconnectDelayMs), [100, 200, 400, 5000, 5000]);
  assert.throws(
    () => checkRedisUrl('http://:secret@host:6379'),
    (err: Error) => /must start with redis:\/\//.test(err.message) && !err.message.includes('secret'),
  );
  assert.throws(
    () => checkRedisUrl('::secret'),
    (err: Error) => !err.message.includes('secret'),
  );
  checkRedisUrl('rediss://:pw@cache.internal:6380/2');
});
