// Gateway forwarding against real loopback upstreams: bytes, headers, P2C spread, retries,
// ejection (gateway).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../src/common/clock.js';
import { endpoints, fakesFor, gatewayFor, inferBody, inferPath, jsonHeaders, send, waitFor } from './client.js';
import { seededRandom } from '../../src/common/random.js';

test('JSON and binary bodies and their headers reach the replica and come back byte for byte', async (t) => {
  const [r0] = await fakesFor(t, { kind: 'ok' });
  const gw = await gatewayFor(t, { replicas: endpoints([r0!]) });
  const json = Buffer.from(inferBody(3) + ' \n', 'utf8'); // odd whitespace must survive: no re-encoding
  const a = await send(gw.url + inferPath, { body: json, headers: { ...jsonHeaders, 'x-serve-priority': '7' } });
  assert.equal(a.status, 200);
  assert.deepEqual(a.body, json);
  assert.deepEqual(r0!.seen[0]!.body, json);
  assert.equal(r0!.seen[0]!.headers['x-serve-priority'], '7');
  assert.equal(r0!.seen[0]!.headers['content-type'], 'application/json');
  assert.equal(a.headers['x-serve-replica'], 'r0');
  assert.match(
    String(a.headers['server-timing']),
    /^gateway;dur=\d+\.\d+, upstream;dur=\d+\.\d+, queue;dur=0\.1, infer;dur=0\.2$/,
  );

  const header = Buffer.from(
    '{"inputs":[{"name":"x","shape":[1,64],"datatype":"UINT8","parameters":{"binary_data_size":256}}]}',
  );
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  const binary = Buffer.concat([header, all, randomBytes(70_000)]);
  const b = await send(gw.url + '/v2/models/demo/versions/1/infer', {
    body: binary,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
  });
  assert.equal(b.status, 200);
  assert.ok(b.body.equals(binary), 'binary answer differs');
  assert.ok(r0!.seen[1]!.body.equals(binary), 'binary request differs at the replica');
  assert.equal(r0!.seen[1]!.headers['inference-header-content-length'], String(header.length));
  assert.equal(b.headers['inference-header-content-length'], String(header.length));
});

test('metadata GETs are forwarded, health is answered by the gateway, unknown paths get 404', async (t) => {
  const fakes = await fakesFor(t, { kind: 'ok' });
  const gw = await gatewayFor(t, { replicas: endpoints(fakes) });
  const meta = await send(gw.url + '/v2/models/demo?x=1');
  assert.equal(meta.status, 200);
  assert.equal(JSON.parse(meta.body.toString()).url, '/v2/models/demo?x=1');
  assert.equal((await send(gw.url + '/v2')).status, 200);
  assert.equal((await send(gw.url + '/v2/health/live')).status, 200);
  assert.equal((await send(gw.url + '/v2/health/ready')).status, 200);
  assert.equal(fakes[0]!.seen.length, 2, 'health is not forwarded');
  const nf = await send(gw.url + '/nope');
  assert.equal(nf.status, 404);
  assert.match(JSON.parse(nf.body.toString()).error, /no route/);
  assert.equal((await send(gw.url + '/v2/models/demo', { body: '{}' })).status, 405);
  assert.equal((await send(gw.url + '/v2/health/ready', { body: '{}' })).status, 405, 'health is GET only');
});

test('power of two choices spreads load over every replica', async (t) => {
  const fakes = await fakesFor(
    t,
    { kind: 'ok', delayMs: 10 },
    { kind: 'ok', delayMs: 10 },
    { kind: 'ok', delayMs: 10 },
  );
  const gw = await gatewayFor(t, { replicas: endpoints(fakes) });
  for (let wave = 0; wave < 15; wave++) {
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, k) => send(gw.url + inferPath, { body: inferBody(k), headers: jsonHeaders })),
    );
    for (const r of replies) assert.equal(r.status, 200);
  }
  const counts = fakes.map((f) => f.seen.length);
  assert.equal(
    counts.reduce((a, b) => a + b),
    90,
  );
  for (const c of counts) assert.ok(c >= 15, `uneven spread ${counts.join(',')}`);
});

test('a connection failure is retried once on a different replica', async (t) => {
  const [dead, closer, ok] = await fakesFor(t, { kind: 'ok' }, { kind: 'close' }, { kind: 'ok' });
  await dead!.stop(); // its port now refuses connections
  const gw = await gatewayFor(t, {
    replicas: endpoints([dead!, ok!]),
    random: seededRandom(11),
    ejectAfterFailures: 1000,
  });
  for (let k = 0; k < 12; k++) {
    const r = await send(gw.url + inferPath, { body: inferBody(k), headers: jsonHeaders });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-serve-replica'], 'r2');
  }
  assert.ok(gw.stats().retries >= 1, 'some requests went to the dead replica first');

  // A replica that drops the connection after reading the request: also resent, once.
  gw.setReplicas(endpoints([closer!, ok!]));
  const before = ok!.seen.length;
  for (let k = 0; k < 12; k++)
    assert.equal((await send(gw.url + inferPath, { body: inferBody(k), headers: jsonHeaders })).status, 200);
  assert.ok(closer!.seen.length >= 1);
  assert.equal(ok!.seen.length - before, 12);

  // With no other replica to go to, the client gets a 502 that names the replica.
  gw.setReplicas(endpoints([closer!]));
  const r = await send(gw.url + inferPath, { body: inferBody(), headers: jsonHeaders });
  assert.equal(r.status, 502);
  assert.match(JSON.parse(r.body.toString()).error, /replica r1 failed before answering/);
});

test('a response broken off midway is a 502 and is not retried', async (t) => {
  const [partial, ok] = await fakesFor(t, { kind: 'partial' }, { kind: 'ok' });
  const gw = await gatewayFor(t, { replicas: endpoints([partial!, ok!]), random: () => 0 });
  const r = await send(gw.url + inferPath, { body: inferBody(), headers: jsonHeaders });
  assert.equal(r.status, 502);
  assert.match(JSON.parse(r.body.toString()).error, /replica r0 broke off its response/);
  assert.equal(ok!.seen.length, 0);
  assert.equal(gw.stats().retries, 0);
  assert.equal(gw.stats().replicas[0]!.consecutiveFailures, 1);
});

test('a replica dying under load fails no request', async (t) => {
  const fakes = await fakesFor(t, { kind: 'ok', delayMs: 5 }, { kind: 'ok', delayMs: 5 }, { kind: 'ok', delayMs: 5 });
  const gw = await gatewayFor(t, { replicas: endpoints(fakes) });
  const statuses: number[] = [];
  let stop = false;
  const worker = async () => {
    for (let k = 0; k < 300 && !stop; k++)
      statuses.push((await send(gw.url + inferPath, { body: inferBody(k), headers: jsonHeaders })).status);
  };
  const workers = Array.from({ length: 6 }, worker);
  await waitFor(() => statuses.length >= 30, 10_000, '30 requests before the failure');
  await fakes[0]!.stop(); // drops its connections, requests in flight included, then refuses new ones
  const before = statuses.length;
  await waitFor(() => statuses.length >= before + 60, 10_000, '60 requests after the failure');
  stop = true;
  await Promise.all(workers);
  assert.ok(statuses.length >= 30, `only ${statuses.length} requests ran`);
  assert.deepEqual(
    statuses.filter((s) => s !== 200),
    [],
  );
  assert.ok(gw.stats().retries >= 1);
  assert.equal(gw.stats().replicas[0]!.state, 'ejected', 'the dead replica is ejected after 5 failures');
});

test('a 503 shed by a replica is retried on another; with none left it is passed through', async (t) => {
  const [shed, ok] = await fakesFor(t, { kind: 'shed' }, { kind: 'ok' });
  // ejectAfterFailures 1: were a shed counted as a failure, r0 would be ejected at once.
  const gw = await gatewayFor(t, { replicas: endpoints([shed!, ok!]), random: () => 0, ejectAfterFailures: 1 }); // random 0 prefers r0
  const r = await send(gw.url + inferPath, { body: inferBody(), headers: jsonHeaders });
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-serve-replica'], 'r1');
  assert.equal(shed!.seen.length, 1);
  assert.equal(gw.stats().retries, 1);
  gw.setReplicas(endpoints([shed!]));
  const alone = await send(gw.url + inferPath, { body: inferBody(), headers: jsonHeaders });
  assert.equal(alone.status, 503);
  assert.match(alone.body.toString(), /shed by r0/);
  assert.equal(gw.stats().replicas[0]!.state, 'ready', 'a replica shedding load is not failing');
  assert.equal(gw.stats().replicas[0]!.consecutiveFailures, 0);
});

test('400 and 500 are not retried', async (t) => {
  const [bad, ok] = await fakesFor(t, { kind: 'status', status: 400 }, { kind: 'ok' });
  const gw = await gatewayFor(t, { replicas: endpoints([bad!, ok!]), random: () => 0 });
  assert.equal((await send(gw.url + inferPath, { body: inferBody(), headers: jsonHeaders })).status, 400);
  bad!.mode = { kind: 'status', status: 500 };
  const r = await send(gw.url + inferPath, { body: inferBody(), headers: jsonHeaders });
  assert.equal(r.status, 500);
  assert.match(r.body.toString(), /status 500 from r0/);
  assert.equal(ok!.seen.length, 0);
  assert.equal(gw.stats().retries, 0);
});

test('a replica failing in a row is ejected for eject-for, then tried again', async (t) => {
  const clock = new ManualClock(1000);
  const [failing, ok] = await fakesFor(t, { kind: 'status', status: 500 }, { kind: 'ok' });
  const gw = await gatewayFor(t, {
    replicas: endpoints([failing!, ok!]),
    random: () => 0,
    clock,
    ejectAfterFailures: 3,
    ejectForMs: 5000,
  });
  const statuses: number[] = [];
  for (let k = 0; k < 6; k++)
    statuses.push((await send(gw.url + inferPath, { body: inferBody(k), headers: jsonHeaders })).status);
  assert.deepEqual(statuses, [500, 500, 500, 200, 200, 200]);
  assert.equal(gw.stats().replicas[0]!.state, 'ejected');
  assert.equal(gw.stats().ejections, 1);
  assert.match(await gw.metrics(), /serve_gateway_replicas\{state="ejected"\} 1/);
  failing!.mode = { kind: 'ok' };
  clock.advance(4999);
  assert.equal(
    (await send(gw.url + inferPath, { body: inferBody(), headers: jsonHeaders })).headers['x-serve-replica'],
    'r1',
  );
  clock.advance(1);
  const back = await send(gw.url + inferPath, { body: inferBody(), headers: jsonHeaders });
  assert.equal(back.headers['x-serve-replica'], 'r0', 'tried again after eject-for');
  assert.equal(gw.stats().replicas[0]!.consecutiveFailures, 0);
});
