// The response cache keyed by the model's bytes (pure parts): which digest the replica set stands
// for, answers kept under the digest they carry, and the controller's modelDigest field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dispatcher } from 'undici';
import { Registry } from 'prom-client';
import { ManualClock } from '../../src/common/clock.js';
import { createLogger } from '../../src/common/log.js';
import { parseControl } from '../../src/gateway/control.js';
import { ResponseCache } from '../../src/gateway/cache/response-cache.js';
import { UpstreamSet } from '../../src/gateway/upstream-set.js';

const fakePool = () => ({ close: async () => {}, destroy: async () => {} }) as unknown as Dispatcher;
const ep = (port: number, version: string, modelDigest?: string, ready = true) => ({
  id: `r${port}`,
  url: `http://127.0.0.1:${port}`,
  ready,
  version,
  ...(modelDigest ? { modelDigest } : {}),
});

test('the digest a version stands for: the one all its ready replicas share, else none', () => {
  const set = new UpstreamSet(new ManualClock(), 4, fakePool);
  set.replace([ep(1, '1', 'sha256:A'), ep(2, '1', 'sha256:A'), ep(3, '2', 'sha256:C')]);
  assert.equal(set.weightsOf('1'), 'sha256:A');
  assert.equal(set.weightsOf('2'), 'sha256:C');
  assert.equal(set.weightsOf('3'), undefined, 'no replica of it');
  // Version 1 rebuilt: one replica runs the new bytes, one the old: which would answer is unknown.
  set.replace([ep(1, '1', 'sha256:A'), ep(2, '1', 'sha256:B')]);
  assert.equal(set.weightsOf('1'), undefined);
  // A replica that has not said (yet) leaves it unknown; a not-ready one does not count; an answer teaches it.
  set.replace([ep(1, '1', 'sha256:A'), ep(5, '1'), ep(4, '1', 'sha256:D', false)]);
  assert.equal(set.weightsOf('1'), undefined);
  set.list[1]!.modelDigest = 'sha256:A';
  assert.equal(set.weightsOf('1'), 'sha256:A');
});

test('answers are kept under the digest they carry; a lookup finds only those of the digest serving now', () => {
  const cache = new ResponseCache(
    { cacheMaxEntries: 10, cacheMaxBytes: 1 << 20, cacheTtlMs: 60_000, cacheRedisPrefix: 'x', cacheRedisTimeoutMs: 5 },
    new ManualClock(),
    new Registry(),
    createLogger({ component: 'test' }, { write: () => {} }),
  );
  let serving: string | undefined = 'sha256:A';
  cache.weightsOf = () => serving;
  const req = { url: '/v2/models/m/versions/1/infer', headers: {}, body: Buffer.from('{"inputs":[]}') };
  const answer = (y: number) =>
    Buffer.from(`{"model_name":"m","model_version":"1","outputs":[{"name":"y","data":[${y}]}]}`);
  const headers = (digest?: string) => [
    Buffer.from('Content-Type'),
    Buffer.from('application/json'),
    ...(digest ? [Buffer.from('X-Serve-Model-Digest'), Buffer.from(digest)] : []),
  ];
  const ask = () => {
    const ticket = { key: undefined };
    const hit = cache.lookup(req, ticket) as { body: Buffer; headers: Record<string, string> } | undefined;
    return {
      ticket,
      y: hit && (JSON.parse(hit.body.toString()) as { outputs: Array<{ data: number[] }> }).outputs[0]!.data[0],
      digest: hit?.headers['x-serve-model-digest'],
    };
  };
  const source: { modelDigest?: string } = {};
  assert.equal(
    cache.keep(ask().ticket, 200, headers(), answer(1), source),
    false,
    'an answer that names no weights is not kept',
  );
  assert.equal(cache.keep(ask().ticket, 200, headers('sha256:A'), answer(1), source), true);
  assert.equal(source.modelDigest, 'sha256:A', 'the answering replica learns its digest');
  assert.deepEqual([ask().y, ask().digest], [1, 'sha256:A']);
  serving = 'sha256:B';
  const b = ask();
  assert.equal(b.y, undefined, 'other weights never get the entry of these');
  cache.keep(b.ticket, 200, headers('sha256:B'), answer(2));
  assert.equal(ask().y, 2);
  serving = undefined;
  assert.equal(ask().y, undefined, 'unknown weights: nothing is answered from the cache');
  serving = 'sha256:A';
  assert.equal(ask().y, 1);
});

test("the controller's replica set may carry each replica's modelDigest, a non-empty string", () => {
  const msg = (modelDigest: unknown) => ({
    type: 'replicas',
    replicas: [{ id: 'r', url: 'http://127.0.0.1:1', ready: true, version: '1', modelDigest }],
  });
  assert.deepEqual(parseControl(msg('sha256:x')), {
    type: 'replicas',
    replicas: [{ id: 'r', url: 'http://127.0.0.1:1', ready: true, version: '1', modelDigest: 'sha256:x' }],
  });
  assert.throws(() => parseControl(msg(5)), /replicas\[0\]\.modelDigest must be a non-empty string/);
  assert.throws(() => parseControl(msg('')), /modelDigest/);
});
