// The response cache's Redis level against a real redis-server on a free port: a second gateway is
// answered from Redis, and stopping Redis (first frozen, then killed, then restarted) under load
// fails no request; the gateway reconnects with backoff and counts the errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { freePort, startRedis } from '../helpers/redis.js';
import { needTool } from '../helpers/tools.js';
import { endpoints, fakesFor, gatewayFor, send, waitFor } from './client.js';

const dbsize = (port: number) =>
  Number(spawnSync('redis-cli', ['-p', String(port), 'dbsize'], { encoding: 'utf8', timeout: 2000 }).stdout.trim());
const body = (x: number) =>
  JSON.stringify({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [x, x + 1] }] });
const post = (url: string, x: number) =>
  send(url + '/v2/models/demo/infer', { body: body(x), headers: { 'content-type': 'application/json' } });

test('a second gateway is answered from Redis; Redis frozen, killed and restarted under load fails no request', async (t) => {
  if (!needTool(t, 'redis-server', 'redis-server')) return;
  const port = await freePort();
  let redis = await startRedis(t, port);
  const [fake] = await fakesFor(t, { kind: 'oip', version: '1' });
  const cache = {
    cacheEnabled: true,
    cacheRedisUrl: `redis://127.0.0.1:${port}`,
    cacheRedisPrefix: `test-${process.pid}:`,
    cacheRedisTimeoutMs: 20,
  };
  const a = await gatewayFor(t, { replicas: endpoints([fake!]), ...cache });
  const b = await gatewayFor(t, { replicas: endpoints([fake!]), ...cache });
  assert.equal((await post(a.url, 1)).headers['cache-status'], 'serve; fwd=miss');
  await waitFor(() => dbsize(port) === 1, 5000, 'the answer in Redis');
  assert.equal((await post(b.url, 2)).headers['cache-status'], 'serve; fwd=miss'); // b learns the served version
  const fromRedis = await post(b.url, 1);
  assert.equal(fromRedis.headers['cache-status'], 'serve; hit; detail=redis');
  assert.equal(fake!.seen.length, 2);

  // Load through b while Redis is frozen (slow), then killed (down), then back.
  let failed = 0;
  let ok = 0;
  let running = true;
  const worker = async (w: number) => {
    for (let i = 0; running && i < 2000; i++) {
      try {
        const r = await post(b.url, 100 + i * 4 + w); // each a new key: every request asks Redis and writes to it
        if (r.status === 200) ok++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  const load = Promise.all([0, 1, 2, 3].map(worker));
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await pause(300);
  redis.kill('SIGSTOP');
  await pause(700);
  redis.kill('SIGKILL');
  await pause(700);
  redis = await startRedis(t, port);
  await waitFor(() => dbsize(port) > 0, 8000, 'the gateway to reconnect and write to the new Redis');
  running = false;
  await load;
  assert.equal(failed, 0, `${failed} requests failed (${ok} ok)`);
  assert.ok(ok > 50, `only ${ok} requests were sent`);
  const errors = Number(/^serve_gateway_cache_redis_errors_total (\S+)$/m.exec(await b.metrics())?.[1]);
  assert.ok(errors > 0, 'Redis errors were counted');
});
