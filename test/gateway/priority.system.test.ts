// The gateway's queue order and the 504-before-sending rule against a real loopback upstream:
// priority first, earliest deadline first within a priority, a full queue sheds the lowest for a
// higher priority, and a budget shorter than a replica needs is answered 504 and never sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRIORITY_HEADER, TIMEOUT_HEADER } from '../../src/common/wire.js';
import {
  endpoints,
  fakesFor,
  gatewayFor,
  inferBody,
  inferPath,
  jsonHeaders,
  send,
  waitFor,
  type Reply,
} from './client.js';
import type { GatewayHandle } from '../../src/gateway/handle.js';

const post = (url: string, k: number, headers: Record<string, string> = {}) =>
  send(url + inferPath, { body: inferBody(k), headers: { ...jsonHeaders, ...headers } });

/** Sends one request and waits until it is queued at the gateway (so the order of sending is the order of queueing). */
async function queueOne(
  gw: GatewayHandle,
  k: number,
  headers: Record<string, string>,
): Promise<{ reply: Promise<Reply> }> {
  const before = gw.stats().queued;
  const reply = post(gw.url, k, headers);
  await waitFor(() => gw.stats().queued === before + 1, 5000, `request ${k} queued`);
  return { reply }; // wrapped: an async function would wait for a promise it returns
}

/** The k of each request body the fake saw, in arrival order. */
const order = (seen: Array<{ body: Buffer }>) =>
  seen.map((s) => (JSON.parse(s.body.toString()) as { inputs: Array<{ data: number[] }> }).inputs[0]!.data[0]);

test('a higher-priority request queued behind lower ones goes first; within a priority the earliest deadline', async (t) => {
  // The first request holds the only slot for 800 ms while the others queue; they are answered at once.
  const [fake] = await fakesFor(t, { kind: 'ok', delayMs: 800 });
  const gw = await gatewayFor(t, { replicas: endpoints([fake!]), maxInflightPerReplica: 1, requestTimeoutMs: 10_000 });
  const busy = post(gw.url, 0); // takes the only slot
  await waitFor(() => fake!.seen.length === 1, 5000, 'the first request at the replica');
  fake!.mode = { kind: 'ok' };
  const queued = [
    await queueOne(gw, 1, { [TIMEOUT_HEADER]: '9000' }),
    await queueOne(gw, 2, { [TIMEOUT_HEADER]: '8000' }),
    await queueOne(gw, 3, { [TIMEOUT_HEADER]: '4000' }), // same priority, earliest deadline
    await queueOne(gw, 4, { [PRIORITY_HEADER]: '5', [TIMEOUT_HEADER]: '9500' }), // higher priority, latest deadline
    await queueOne(gw, 5, { [PRIORITY_HEADER]: '2' }),
  ];
  for (const r of await Promise.all([busy, ...queued.map((q) => q.reply)])) assert.equal(r.status, 200);
  assert.deepEqual(order(fake!.seen), [0, 4, 5, 3, 2, 1]);
});

test('a full queue sheds its last request (503) for one of higher priority, and refuses equal ones', async (t) => {
  const [fake] = await fakesFor(t, { kind: 'ok', delayMs: 800 });
  const gw = await gatewayFor(t, {
    replicas: endpoints([fake!]),
    maxInflightPerReplica: 1,
    maxQueuedRequests: 2,
    requestTimeoutMs: 10_000,
  });
  const busy = post(gw.url, 0);
  await waitFor(() => fake!.seen.length === 1, 5000, 'the first request at the replica');
  fake!.mode = { kind: 'ok' };
  const low1 = await queueOne(gw, 1, {});
  const low2 = await queueOne(gw, 2, {});
  const equal = await post(gw.url, 3, {});
  assert.equal(equal.status, 503);
  assert.match(JSON.parse(equal.body.toString()).error, /queue is full/);
  const high = post(gw.url, 4, { [PRIORITY_HEADER]: '9' });
  const shed = await low2.reply;
  assert.equal(shed.status, 503);
  assert.equal(shed.headers['retry-after'], '1');
  assert.match(JSON.parse(shed.body.toString()).error, /higher priority/);
  for (const r of await Promise.all([busy, low1.reply, high])) assert.equal(r.status, 200);
  assert.deepEqual(order(fake!.seen), [0, 4, 1]);
  assert.equal((await post(gw.url, 5, { [PRIORITY_HEADER]: 'high' })).status, 400);
});

test('a deadline shorter than a replica needs is answered 504 at once and never sent', async (t) => {
  const [fake] = await fakesFor(t, { kind: 'ok', delayMs: 60 });
  const gw = await gatewayFor(t, { replicas: endpoints([fake!]), requestTimeoutMs: 5000 });
  for (let k = 0; k < 3; k++) assert.equal((await post(gw.url, k)).status, 200); // the gateway learns ~60 ms
  const seen = fake!.seen.length;
  const r = await post(gw.url, 9, { [TIMEOUT_HEADER]: '20' });
  assert.equal(r.status, 504);
  assert.match(JSON.parse(r.body.toString()).error, /shorter than a replica needs to answer \(about 6\d\.\d ms/);
  assert.equal(r.headers['retry-after'], undefined, 'not load: no Retry-After');
  assert.ok(r.ms < 50, `answered in ${r.ms} ms`);
  assert.equal(fake!.seen.length, seen, 'nothing was sent to the replica');
  // A budget the replica can meet is forwarded as before.
  assert.equal((await post(gw.url, 10, { [TIMEOUT_HEADER]: '500' })).status, 200);
});
