// The gateway beside other OIP v2 servers, over real loopback HTTP (gateway): the fallback answers
// when no replica can, external weights split traffic, a down external server is ejected without a
// failed request, its answers are never cached, and shadow answers are compared, counted, never returned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/common/random.js';
import { gatewayFor, inferBody, inferPath, jsonHeaders, send, waitFor } from './client.js';
import { sample, startOipServer } from './oip-server.js';

const infer = (url: string, k = 0) => send(url + inferPath, { body: inferBody(k), headers: jsonHeaders });

/** Sends `n` infer requests, `concurrency` at a time; returns how many each server answered (x-serve-replica) and the statuses. */
async function spread(
  url: string,
  n: number,
  concurrency: number,
): Promise<{ by: Map<string, number>; statuses: Map<number, number> }> {
  const by = new Map<string, number>();
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const r = await infer(url, next++);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        const who = String(r.headers['x-serve-replica']);
        by.set(who, (by.get(who) ?? 0) + 1);
      }
    }),
  );
  return { by, statuses };
}

test('with every replica stopped, requests are answered by the fallback (infer and metadata), none fails', async (t) => {
  const r0 = await startOipServer(t, 'r0', { scores: [0.2, 0.8] });
  const r1 = await startOipServer(t, 'r1', { scores: [0.2, 0.8] });
  const fallback = await startOipServer(t, 'old-service', { scores: [0.3, 0.7] });
  const gw = await gatewayFor(t, {
    replicas: [
      { id: 'r0', url: r0.url, ready: true },
      { id: 'r1', url: r1.url, ready: true },
    ],
    fallbackUrl: fallback.url,
  });
  assert.equal((await infer(gw.url)).headers['x-answered-by'] !== 'old-service', true, 'with replicas up, they answer');
  await Promise.all([r0.stop(), r1.stop()]);
  const { by, statuses } = await spread(gw.url, 60, 4);
  assert.deepEqual([...statuses], [[200, 60]], 'no request failed');
  assert.deepEqual([...by], [['fallback', 60]]);
  const meta = await send(gw.url + '/v2/models/demo');
  assert.equal(meta.status, 200);
  assert.equal(meta.headers['x-answered-by'], 'old-service');
  assert.equal((await send(gw.url + '/v2/health/ready')).status, 200, 'ready: the fallback can answer');
  const m = await gw.metrics();
  assert.ok(sample(m, 'serve_gateway_ejections_total') >= 2, 'the stopped replicas were ejected');
  assert.equal(sample(m, 'serve_gateway_shed_total{reason="no_replica"}'), 0);
});

test('a gateway with no replica at all answers from the fallback; without one it sheds (503)', async (t) => {
  const fallback = await startOipServer(t, 'old-service', { scores: [0.3, 0.7] });
  const gw = await gatewayFor(t, { fallbackUrl: fallback.url });
  const r = await infer(gw.url);
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-serve-replica'], 'fallback');
  assert.deepEqual(JSON.parse(r.body.toString()).outputs[0].data, [0.3, 0.7]);
  const plain = await gatewayFor(t, {});
  assert.equal((await infer(plain.url)).status, 503);
});

test('external weights split 2,000 requests within 3 points of the configured shares', async (t) => {
  const r0 = await startOipServer(t, 'r0', { scores: [1, 0] });
  const r1 = await startOipServer(t, 'r1', { scores: [1, 0] });
  const e0 = await startOipServer(t, 'e0', { scores: [1, 0] });
  const e1 = await startOipServer(t, 'e1', { scores: [1, 0] });
  const gw = await gatewayFor(t, {
    replicas: [
      { id: 'r0', url: r0.url, ready: true },
      { id: 'r1', url: r1.url, ready: true },
    ],
    externalServers: `${e0.url}=25,${e1.url}=10`,
    random: seededRandom(13),
  });
  const n = 2000;
  const { by, statuses } = await spread(gw.url, n, 16);
  assert.deepEqual([...statuses], [[200, n]]);
  const share = (who: string[]) => who.reduce((s, w) => s + (by.get(w) ?? 0), 0) / n;
  const seen = Object.fromEntries(by);
  t.diagnostic(`answered by: ${JSON.stringify(seen)}`);
  assert.ok(
    Math.abs(share(['external-0']) - 0.25) < 0.03,
    `external-0 took ${share(['external-0'])}: ${JSON.stringify(seen)}`,
  );
  assert.ok(
    Math.abs(share(['external-1']) - 0.1) < 0.03,
    `external-1 took ${share(['external-1'])}: ${JSON.stringify(seen)}`,
  );
  assert.ok(
    Math.abs(share(['r0', 'r1']) - 0.65) < 0.03,
    `the replicas took ${share(['r0', 'r1'])}: ${JSON.stringify(seen)}`,
  );
  assert.equal(e0.received + e1.received + r0.received + r1.received, n, 'each request was sent once');
});

test('a down external server and one answering 500 are ejected, and no request fails', async (t) => {
  const r0 = await startOipServer(t, 'r0', { scores: [1, 0] });
  const down = await startOipServer(t, 'down', { scores: [1, 0] });
  await down.stop();
  const broken = await startOipServer(t, 'broken', { scores: [1, 0], status: 500 });
  const gw = await gatewayFor(t, {
    replicas: [{ id: 'r0', url: r0.url, ready: true }],
    externalServers: `${down.url}=30,${broken.url}=30`,
    ejectAfterFailures: 3,
  });
  const { by, statuses } = await spread(gw.url, 300, 4);
  assert.deepEqual([...statuses], [[200, 300]], 'every request was answered');
  assert.deepEqual([...by.keys()], ['r0'], 'every answer came from the replica');
  const m = await gw.metrics();
  assert.equal(sample(m, 'serve_gateway_ejections_total'), 2, 'both external servers were ejected once');
  assert.ok(
    broken.received <= 3 + 4,
    `the broken server got ${broken.received} requests: at most the failures that eject it and those already on their way`,
  );
  assert.ok(sample(m, 'serve_gateway_other_requests_total{server="external-0"}') <= 3 + 4);
});

test('answers of an external server are not cached under our model', async (t) => {
  const e0 = await startOipServer(t, 'e0', { scores: [1, 0] });
  const r0 = await startOipServer(t, 'r0', { scores: [0, 1] });
  const gw = await gatewayFor(t, {
    replicas: [{ id: 'r0', url: r0.url, ready: true }],
    externalServers: `${e0.url}=100`,
    cacheEnabled: true,
  });
  const a = await infer(gw.url, 7);
  const b = await infer(gw.url, 7);
  assert.equal(a.headers['x-serve-replica'], 'external-0');
  assert.equal(
    b.headers['x-serve-replica'],
    'external-0',
    'the second request went to the server again, not to the cache',
  );
  assert.equal(e0.received, 2);
  assert.equal(b.headers['cache-status'], undefined);
});

test('shadow answers are compared and counted, never returned; errors are counted', async (t) => {
  const r0 = await startOipServer(t, 'r0', { scores: [0.1, 0.7, 0.2] });
  const same = await startOipServer(t, 'same', { scores: [0.2, 0.5, 0.3] }); // same class, other scores
  const other = await startOipServer(t, 'other', { scores: [0.6, 0.3, 0.1] });
  const failing = await startOipServer(t, 'failing', { scores: [], status: 500 });
  for (const [shadow, counter] of [
    [same, 'agreements'],
    [other, 'disagreements'],
    [failing, 'errors'],
  ] as const) {
    const gw = await gatewayFor(t, {
      replicas: [{ id: 'r0', url: r0.url, ready: true }],
      shadowUrl: shadow.url,
      shadowShare: 1,
    });
    for (let i = 0; i < 20; i++) {
      const r = await infer(gw.url, i);
      assert.equal(r.headers['x-answered-by'], 'r0', 'the client gets our answer');
      assert.deepEqual(JSON.parse(r.body.toString()).outputs[0].data, [0.1, 0.7, 0.2]);
    }
    let m = '';
    await waitFor(() => shadow.received === 20, 5000, `20 copies at ${shadow.name}`);
    const deadline = performance.now() + 5000;
    while (
      sample((m = await gw.metrics()), `serve_gateway_shadow_${counter}_total`) < 20 &&
      performance.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(sample(m, 'serve_gateway_shadow_requests_total'), 20, shadow.name);
    assert.equal(sample(m, `serve_gateway_shadow_${counter}_total`), 20, `${shadow.name}: ${counter}`);
    for (const c of ['agreements', 'disagreements', 'errors'].filter((x) => x !== counter))
      assert.equal(sample(m, `serve_gateway_shadow_${c}_total`), 0, `${shadow.name}: ${c}`);
  }
});

test('a hung shadow never delays a client and holds at most the cap of copies; the rest are dropped', async (t) => {
  const r0 = await startOipServer(t, 'r0', { scores: [0.1, 0.9] });
  const hung = await startOipServer(t, 'hung', { scores: [], hang: true });
  const gw = await gatewayFor(t, {
    replicas: [{ id: 'r0', url: r0.url, ready: true }],
    shadowUrl: hung.url,
    shadowShare: 1,
    maxInflightPerReplica: 4,
    requestTimeoutMs: 2000,
  });
  const t0 = performance.now();
  const { statuses } = await spread(gw.url, 100, 2);
  const elapsedMs = performance.now() - t0;
  assert.deepEqual([...statuses], [[200, 100]]);
  assert.ok(elapsedMs < 1500, `100 requests took ${Math.round(elapsedMs)} ms beside a hung shadow`);
  const m = await gw.metrics();
  assert.equal(sample(m, 'serve_gateway_shadow_requests_total'), 4);
  assert.equal(sample(m, 'serve_gateway_shadow_dropped_total'), 96);
  await waitFor(() => hung.received === 4, 2000, 'the 4 copies at the hung shadow');
});
