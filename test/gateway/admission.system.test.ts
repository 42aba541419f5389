// Gateway admission against real loopback upstreams: shedding with Retry-After, the queue,
// deadlines, drain, replica set changes under load, metrics (gateway).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { TIMEOUT_HEADER } from '../../src/common/wire.js';
import { startFakeReplica, type FakeReplica } from './fake-replica.js';
import { endpoints, fakesFor, gatewayFor, inferBody, inferPath, jsonHeaders, send, waitFor } from './client.js';

const post = (url: string, k = 0, headers: Record<string, string> = {}) =>
  send(url + inferPath, { body: inferBody(k), headers: { ...jsonHeaders, ...headers } });

test('no ready replica: 503 with Retry-After at once, and not ready', async (t) => {
  const fakes = await fakesFor(t, { kind: 'ok' });
  const gw = await gatewayFor(t);
  for (const set of [[], endpoints(fakes, false)]) {
    gw.setReplicas(set);
    const r = await post(gw.url);
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '1');
    assert.match(JSON.parse(r.body.toString()).error, /no ready replica/);
    assert.equal((await send(gw.url + '/v2/health/ready')).status, 503);
  }
  assert.equal(fakes[0]!.seen.length, 0);
  gw.setReplicas(endpoints(fakes, true));
  assert.equal((await post(gw.url)).status, 200);
  assert.equal((await send(gw.url + '/v2/health/ready')).status, 200);
});

test('a full queue sheds at once with 503 and Retry-After, and never ejects the replica', async (t) => {
  const [slow] = await fakesFor(t, { kind: 'ok', delayMs: 500 });
  const gw = await gatewayFor(t, {
    replicas: endpoints([slow!]),
    maxInflightPerReplica: 1,
    maxQueuedRequests: 2,
    ejectAfterFailures: 1,
    requestTimeoutMs: 10_000,
  });
  const first = Array.from({ length: 3 }, (_, k) => post(gw.url, k)); // 1 in flight + 2 queued
  await waitFor(() => gw.stats().queued === 2, 5000, 'two queued requests');
  const shed = await Promise.all(Array.from({ length: 4 }, (_, k) => post(gw.url, 10 + k)));
  for (const r of shed) {
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '1');
    assert.match(JSON.parse(r.body.toString()).error, /queue is full/);
    assert.ok(r.ms < 400, `shed took ${r.ms} ms, not at once (the replica takes 500 ms)`);
  }
  for (const r of await Promise.all(first)) assert.equal(r.status, 200);
  const s = gw.stats();
  assert.equal(s.replicas[0]!.state, 'ready');
  assert.equal(s.replicas[0]!.consecutiveFailures, 0);
  assert.equal(s.ejections, 0);
  assert.equal(slow!.seen.length, 3);
});

test('the remaining budget is passed on, and a late answer becomes 504', async (t) => {
  const [ok, hang] = await fakesFor(t, { kind: 'ok' }, { kind: 'hang' });
  const gw = await gatewayFor(t, { replicas: endpoints([ok!]), requestTimeoutMs: 800 });
  assert.equal((await post(gw.url, 0, { [TIMEOUT_HEADER]: '300' })).status, 200);
  const passed = Number(ok!.seen[0]!.headers[TIMEOUT_HEADER]);
  assert.ok(passed > 0 && passed < 300, `replica saw budget ${passed}`);
  await post(gw.url);
  const dflt = Number(ok!.seen[1]!.headers[TIMEOUT_HEADER]);
  assert.ok(dflt > 0 && dflt < 800, `replica saw default budget ${dflt}`);
  const bad = await post(gw.url, 0, { [TIMEOUT_HEADER]: 'soon' });
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.body.toString()).error, new RegExp(TIMEOUT_HEADER));

  gw.setReplicas(endpoints([hang!]));
  const late = await post(gw.url, 0, { [TIMEOUT_HEADER]: '150' });
  assert.equal(late.status, 504);
  assert.match(JSON.parse(late.body.toString()).error, /deadline of 150 ms/);
  assert.ok(late.ms >= 140 && late.ms < 2000, `504 after ${late.ms} ms`);
  // The attempt stays open until it is judged (1 s after it was sent): a replica that answered
  // nothing at all by then is hung, and that counts.
  assert.equal(gw.stats().replicas[0]!.consecutiveFailures, 0, 'not judged at the client deadline');
  await waitFor(() => gw.stats().inflight === 0, 3000, 'the abandoned attempt to be judged and release its slot');
  assert.equal(gw.stats().replicas[0]!.consecutiveFailures, 1, 'a replica answering nothing counts as failing');
});

test('clients asking for less time than a replica needs get 504 without ejecting healthy replicas', async (t) => {
  const fakes = await fakesFor(t, { kind: 'ok', delayMs: 40 }, { kind: 'ok', delayMs: 40 });
  const gw = await gatewayFor(t, { replicas: endpoints(fakes), ejectAfterFailures: 1 });
  const tiny = await Promise.all(Array.from({ length: 6 }, (_, k) => post(gw.url, k, { [TIMEOUT_HEADER]: '5' })));
  assert.deepEqual(
    tiny.map((r) => r.status),
    [504, 504, 504, 504, 504, 504],
  );
  assert.equal(gw.stats().ejections, 0, 'a 5 ms budget says nothing about the replicas');
  assert.ok(gw.stats().replicas.every((r) => r.consecutiveFailures === 0));
  const normal = await post(gw.url, 9);
  assert.equal(normal.status, 200);
});

test('a request waiting in the queue past its deadline is shed with 503 and Retry-After', async (t) => {
  const [slow] = await fakesFor(t, { kind: 'ok', delayMs: 500 });
  const gw = await gatewayFor(t, { replicas: endpoints([slow!]), maxInflightPerReplica: 1 });
  const first = post(gw.url, 0, { [TIMEOUT_HEADER]: '5000' });
  await waitFor(() => gw.stats().inflight === 1, 5000, 'first in flight');
  const queued = await post(gw.url, 1, { [TIMEOUT_HEADER]: '100' });
  assert.equal(queued.status, 503);
  assert.equal(queued.headers['retry-after'], '1');
  assert.match(JSON.parse(queued.body.toString()).error, /no replica was free within the deadline of 100 ms/);
  assert.equal(gw.stats().queued, 0);
  assert.equal((await first).status, 200);
  assert.equal(slow!.seen.length, 1, 'the expired request never reached the replica');
});

test('a queued request whose client hangs up leaves the queue and never reaches a replica', async (t) => {
  const [slow] = await fakesFor(t, { kind: 'ok', delayMs: 400 });
  const gw = await gatewayFor(t, { replicas: endpoints([slow!]), maxInflightPerReplica: 1 });
  const first = post(gw.url, 0);
  await waitFor(() => gw.stats().inflight === 1, 5000, 'first in flight');
  const ac = new AbortController();
  const gone = request(gw.url + inferPath, {
    method: 'POST',
    body: inferBody(1),
    headers: jsonHeaders,
    signal: ac.signal,
  }).catch((e: Error) => e);
  await waitFor(() => gw.stats().queued === 1, 5000, 'one queued');
  ac.abort();
  await gone;
  await waitFor(() => gw.stats().queued === 0, 5000, 'the queue to empty');
  assert.equal((await first).status, 200);
  assert.equal(slow!.seen.length, 1);
  assert.match(await gw.metrics(), /serve_gateway_requests_total\{code="499"\} 1/);
});

test('drain: in-flight requests finish, new ones get 503, then it resolves', async (t) => {
  const [slow] = await fakesFor(t, { kind: 'ok', delayMs: 300 });
  const gw = await gatewayFor(t, { replicas: endpoints([slow!]), maxInflightPerReplica: 2 });
  const inflight = Array.from({ length: 4 }, (_, k) => post(gw.url, k)); // 2 at the replica, 2 queued
  await waitFor(() => gw.stats().active === 4, 5000, 'four accepted requests');
  let drained = false;
  const drain = gw.drain().then(() => (drained = true));
  const late = await post(gw.url);
  assert.equal(late.status, 503);
  assert.equal(late.headers['retry-after'], '1');
  assert.match(JSON.parse(late.body.toString()).error, /draining/);
  assert.equal((await send(gw.url + '/v2/health/ready')).status, 503);
  assert.equal(drained, false);
  for (const r of await Promise.all(inflight)) assert.equal(r.status, 200);
  await drain;
  assert.equal(gw.stats().active, 0);
});

test('replica set changes under load fail no request', async (t) => {
  const pool: FakeReplica[] = [];
  t.after(() => Promise.all(pool.map((f) => f.stop())));
  for (let i = 0; i < 6; i++) pool.push(await startFakeReplica(`s${i}`, { kind: 'ok', delayMs: 3 }));
  const gw = await gatewayFor(t, { replicas: endpoints(pool.slice(0, 2)) });
  const statuses = new Map<number, number>();
  let stop = false;
  const worker = async () => {
    for (let k = 0; k < 400 && !stop; k++) {
      const r = await post(gw.url, k);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
  };
  const workers = Array.from({ length: 6 }, worker);
  const sets = [[0, 1, 2], [2, 3], [3, 4, 5], [5], [0, 5], [1, 2, 3, 4], [4, 0]];
  const answered = () => [...statuses.values()].reduce((a, b) => a + b, 0);
  for (const ids of sets) {
    const before = answered();
    await waitFor(() => answered() >= before + 8, 10_000, 'requests between set changes');
    gw.setReplicas(ids.map((i) => ({ id: pool[i]!.id, url: pool[i]!.url, ready: true })));
  }
  const last = answered();
  await waitFor(() => answered() >= last + 8, 10_000, 'requests after the last set change');
  stop = true;
  await Promise.all(workers);
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  assert.deepEqual([...statuses.keys()], [200], `statuses ${JSON.stringify([...statuses])}`);
  assert.ok(total >= 50, `only ${total} requests ran`);
  assert.ok(pool.filter((f) => f.seen.length > 0).length >= 5, 'traffic followed the set changes');
  assert.deepEqual(
    gw.stats().replicas.map((r) => r.id),
    ['s4', 's0'],
  );
});

test('/metrics carries requests, latency, retries, ejections, in-flight, queued and replica states', async (t) => {
  const [shed, ok] = await fakesFor(t, { kind: 'shed' }, { kind: 'ok' });
  const gw = await gatewayFor(t, { replicas: endpoints([shed!, ok!]), random: () => 0 });
  for (let k = 0; k < 3; k++) assert.equal((await post(gw.url, k)).status, 200);
  const r = await send(gw.url + '/metrics');
  assert.equal(r.status, 200);
  const text = r.body.toString();
  for (const re of [
    /serve_gateway_requests_total\{code="200"\} 3/,
    /serve_gateway_request_duration_seconds_bucket\{le="0\.1"\} 3/,
    /serve_gateway_request_duration_seconds_count 3/,
    /serve_gateway_retries_total\{reason="shed"\} 3/,
    /serve_gateway_ejections_total 0/,
    /serve_gateway_inflight_requests 0/,
    /serve_gateway_queued_requests 0/,
    /serve_gateway_replicas\{state="ready"\} 2/,
  ])
    assert.match(text, re);
});

test('a body declared larger than the limit gets 413 at once and the connection is closed', async (t) => {
  const fakes = await fakesFor(t, { kind: 'ok' });
  const gw = await gatewayFor(t, { replicas: endpoints(fakes) });
  const { connect } = await import('node:net');
  const port = new URL(gw.url).port;
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(
        `POST ${inferPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200000000\r\n\r\n{"inputs":`,
      );
    });
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    setTimeout(
      () => (socket.destroy(), reject(new Error(`connection still open; got ${text.slice(0, 200)}`))),
      5000,
    ).unref();
  });
  assert.match(reply, /^HTTP\/1\.1 413/);
  assert.match(reply, /connection: close/i);
  assert.match(reply, /"error":"request body is larger than/);
});
