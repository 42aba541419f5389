// Clusters sharing one Redis cache with different weights under the same name and version (staging
// and production, or a version rebuilt with --force): each answers only its own model's outputs, and
// a cluster with the same bytes is answered from Redis before its replicas have answered anything
// (the digest reached its gateway from the controller, out of the replica's ready event).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startCluster } from '../../src/cluster/controller/controller.js';
import { writeDemoModel } from '../../src/model/demo.js';
import { freePort, startRedis } from '../helpers/redis.js';
import { needTool } from '../helpers/tools.js';
import { tempWorld, testProfile, watchedCluster } from './helpers.js';

const SHAPE = { features: 2, window: 4, channels: 2, hidden: 4 };
const dbsize = (port: number) =>
  Number(spawnSync('redis-cli', ['-p', String(port), 'dbsize'], { encoding: 'utf8', timeout: 2000 }).stdout.trim());
const INPUT = JSON.stringify({
  inputs: [{ name: 'x', shape: [1, 4, 2], datatype: 'FP32', data: [0.5, -1, 2, 0.25, -0.75, 1.5, 3, -2] }],
});

async function infer(
  gatewayUrl: string,
  versioned: boolean,
): Promise<{ status: number; cacheStatus: string | null; probs: number[] }> {
  const r = await fetch(`${gatewayUrl}/v2/models/cnn-lstm${versioned ? '/versions/1' : ''}/infer`, {
    method: 'POST',
    body: INPUT,
    headers: { 'content-type': 'application/json' },
  });
  const doc = (await r.json()) as { outputs?: Array<{ data: number[] }> };
  return { status: r.status, cacheStatus: r.headers.get('cache-status'), probs: doc.outputs?.[0]?.data ?? [] };
}

test('clusters sharing one Redis with different weights under cnn-lstm@1 each get only their own outputs', async (t) => {
  if (!needTool(t, 'redis-server', 'redis-server')) return;
  const port = await freePort();
  await startRedis(t, port);
  const cluster = async (seed: number) => {
    const w = tempWorld();
    await writeDemoModel(w.registry, { ...SHAPE, seed });
    const profile = testProfile(w.registry, {
      model: { name: 'cnn-lstm', version: 1, registry: w.registry },
      replicas: { min: 1, max: 1, initial: 1 },
      resources: { cpus: 0.5 },
      health: { periodMs: 200, timeoutMs: 1000, failureThreshold: 3, startupTimeoutMs: 30_000 },
      cache: {
        enabled: true,
        redis: { url: `redis://127.0.0.1:${port}`, prefix: 'shared:', timeoutMs: 500 },
        redisPrefix: 'shared:',
        redisTimeoutMs: 500,
      },
    });
    const { h } = await watchedCluster(t, w, () => startCluster(profile, { stateDir: w.stateDir }));
    return h.gatewayUrl;
  };
  // Staging and production: one name and version, other weights; and a second production cluster.
  const [production, staging, production2] = await Promise.all([cluster(1), cluster(2), cluster(1)]);

  const own = await infer(production, true);
  assert.equal(own.status, 200);
  assert.equal(own.cacheStatus, 'serve; fwd=miss');
  // Kept in Redis after the answer was written; then the twin's very first request is a hit.
  const deadline = Date.now() + 5000;
  while (dbsize(port) < 1) {
    assert.ok(Date.now() < deadline, 'the answer reached Redis within 5 s');
    await new Promise((r) => setTimeout(r, 25));
  }
  const twin = await infer(production2, true);
  assert.equal(twin.cacheStatus, 'serve; hit; detail=redis', 'the same bytes share an entry');
  assert.deepEqual(twin.probs, own.probs);

  const other = await infer(staging, true);
  assert.equal(other.status, 200);
  assert.equal(other.cacheStatus, 'serve; fwd=miss', 'other weights never get the entry of these');
  assert.notDeepEqual(other.probs, own.probs, 'the two builds answer differently');
  // From now on each is answered from its own entry, through the unversioned path too.
  for (const [url, probs] of [
    [staging, other.probs],
    [production, own.probs],
  ] as const) {
    const again = await infer(url, false);
    assert.deepEqual([again.status, again.probs], [200, probs]);
    const hit = await infer(url, true);
    assert.deepEqual([hit.cacheStatus, hit.probs], ['serve; hit', probs]);
  }
});
