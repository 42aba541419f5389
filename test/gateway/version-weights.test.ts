// Version-weighted routing (a rollout): requests split by the controller's weights, a version
// without weight gets nothing while a serving replica can take it, and the response cache never
// answers from, nor keeps answers of, a version that is not serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dispatcher } from 'undici';
import { Registry } from 'prom-client';
import { ManualClock } from '../../src/common/clock.js';
import { createLogger } from '../../src/common/log.js';
import { UpstreamSet } from '../../src/gateway/upstream-set.js';
import { ResponseCache } from '../../src/gateway/cache/response-cache.js';
import { seededRandom } from '../../src/common/random.js';

const fakePool = () => ({ close: async () => {}, destroy: async () => {} }) as unknown as Dispatcher;
const eps = [
  { id: 'r1', url: 'http://127.0.0.1:1', ready: true, version: '1' },
  { id: 'r2', url: 'http://127.0.0.1:2', ready: true, version: '1' },
  { id: 'r3', url: 'http://127.0.0.1:3', ready: true, version: '2' },
];

test('weights split picks by version within a few percent; a version without weight is used only when nothing else is available', () => {
  const set = new UpstreamSet(new ManualClock(), 4, fakePool, seededRandom(7));
  set.replace(eps);
  set.weights.set({ '1': 90, '2': 10 });
  const counts = { '1': 0, '2': 0 } as Record<string, number>;
  for (let i = 0; i < 10_000; i++) counts[set.pick()!.version!]!++;
  assert.ok(Math.abs(counts['2']! / 10_000 - 0.1) < 0.02, JSON.stringify(counts));
  set.weights.set({ '1': 100, '2': 0 });
  for (let i = 0; i < 1000; i++) assert.equal(set.pick()!.version, '1');
  assert.equal(set.servesVersion('2'), false);
  assert.equal(set.servesVersion('1'), true);
  // Version 1's replicas gone from routing: version 2 answers rather than fail the request.
  set.replace(eps.map((e) => (e.version === '1' ? { ...e, ready: false } : e)));
  assert.equal(set.pick()!.id, 'r3');
  set.weights.set(undefined);
  assert.equal(set.servesVersion('2'), true);
});

test('the cache: an answer of a version that no longer serves is neither kept nor given', () => {
  const cache = new ResponseCache(
    { cacheMaxEntries: 10, cacheMaxBytes: 1 << 20, cacheTtlMs: 60_000, cacheRedisPrefix: 'x', cacheRedisTimeoutMs: 5 },
    new ManualClock(),
    new Registry(),
    createLogger({ component: 'test' }, { write: () => {} }),
  );
  let serving = new Set(['1', '2']);
  cache.serving = (v) => serving.has(v);
  cache.weightsOf = () => 'sha256:w';
  const req = {
    url: '/v2/models/m/infer',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]}'),
  };
  const answer = (v: string) =>
    Buffer.from(`{"model_name":"m","model_version":"${v}","outputs":[{"name":"y","data":[${v}]}]}`);
  const headers = [
    Buffer.from('content-type'),
    Buffer.from('application/json'),
    Buffer.from('x-serve-model-digest'),
    Buffer.from('sha256:w'),
  ];
  const ticket = { key: undefined };
  assert.equal(cache.lookup(req, ticket), undefined);
  assert.equal(cache.forwardedStatus(ticket), 'serve; fwd=miss');
  assert.equal(cache.keep(ticket, 200, headers, answer('2')), true);
  const hit = cache.lookup(req, { key: undefined }) as { body: Buffer; headers: Record<string, string> };
  assert.deepEqual([hit.headers['x-model-version'], JSON.parse(hit.body.toString()).model_version], ['2', '2']);
  // Version 2 rolled back: its kept answer is not given, and a late answer of it is not kept.
  serving = new Set(['1']);
  assert.equal(cache.lookup(req, { key: undefined }), undefined);
  const late = { key: undefined };
  void cache.lookup(req, late);
  assert.equal(cache.keep(late, 200, headers, answer('2')), false);
  assert.equal(cache.lookup(req, { key: undefined }), undefined);
  const t1 = { key: undefined };
  void cache.lookup(req, t1);
  cache.keep(t1, 200, headers, answer('1'));
  assert.equal(
    JSON.parse((cache.lookup(req, { key: undefined }) as { body: Buffer }).body.toString()).model_version,
    '1',
  );
  // Keeping runs after the answer was written: an answer whose model_version does not parse is not kept, and nothing throws.
  const odd = { key: undefined };
  void cache.lookup({ ...req, body: Buffer.from('{"inputs":[]}') }, odd);
  assert.equal(cache.keep(odd, 200, headers, Buffer.from('{"model_version":tru,"outputs":[]}')), false);
});
