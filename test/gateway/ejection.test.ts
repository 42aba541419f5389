// Ejection means "this replica is broken", never "we are busy" (gateway, against loopback fakes):
// clients' short deadlines and slow answers do not eject, a replica answering nothing does, and
// the last available replica is never ejected for hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { TIMEOUT_HEADER } from '../../src/common/wire.js';
import { endpoints, fakesFor, gatewayFor, inferBody, inferPath, jsonHeaders, send, waitFor } from './client.js';

const post = (url: string, k: number, headers: Record<string, string> = {}) =>
  send(url + inferPath, { body: inferBody(k), headers: { ...jsonHeaders, ...headers } });

test('a client sending a 60 ms deadline on a closed loop of 8 connections cannot eject healthy replicas', async (t) => {
  // Healthy but slower than the client asks for: every request misses its deadline at the gateway.
  const fakes = await fakesFor(t, { kind: 'ok', delayMs: 80 }, { kind: 'ok', delayMs: 80 });
  const gw = await gatewayFor(t, { replicas: endpoints(fakes) });
  const statuses = new Map<number, number>();
  const until = performance.now() + 1500;
  const worker = async (w: number) => {
    for (let k = 0; k < 40 && performance.now() < until; k++) {
      const r = await post(gw.url, w * 100 + k, { [TIMEOUT_HEADER]: '60' });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  assert.ok(total >= 40, `only ${total} requests ran`);
  // 504 while a replica had answered nothing since; 503 + Retry-After once it was busy answering
  // others; a 200 only when the gateway itself ran late enough for the answer to make it.
  const missed = (statuses.get(503) ?? 0) + (statuses.get(504) ?? 0);
  assert.deepEqual(
    [...statuses.keys()].filter((s) => s !== 504 && s !== 503 && s !== 200),
    [],
    `statuses ${JSON.stringify([...statuses])}`,
  );
  assert.ok(missed >= total / 2, `the deadlines were mostly met, nothing was tested: ${JSON.stringify([...statuses])}`);
  await waitFor(() => gw.stats().inflight === 0, 3000, 'the late answers to arrive');
  const s = gw.stats();
  assert.equal(s.ejections, 0);
  assert.deepEqual(
    s.replicas.map((r) => [r.state, r.consecutiveFailures]),
    [
      ['ready', 0],
      ['ready', 0],
    ],
  );
  assert.equal((await post(gw.url, 9, { [TIMEOUT_HEADER]: '2000' })).status, 200);
});

test('a replica that answers nothing is ejected; the last available one never is for that', async (t) => {
  const [hung, ok] = await fakesFor(t, { kind: 'hang' }, { kind: 'ok', delayMs: 50 });
  const gw = await gatewayFor(t, {
    replicas: endpoints([hung!, ok!]),
    ejectAfterFailures: 2,
    ejectForMs: 800,
    requestTimeoutMs: 100,
  });
  // Concurrent requests, so that both replicas get some (P2C steers away from one holding requests).
  const statuses = (await Promise.all(Array.from({ length: 8 }, (_, k) => post(gw.url, k)))).map((r) => r.status);
  assert.ok(statuses.includes(504) && statuses.includes(200), `statuses ${statuses.join(',')}`);
  // Judged 1 s after sending: the hung replica completed nothing meanwhile, the other did.
  await waitFor(() => gw.stats().replicas[0]!.state === 'ejected', 4000, 'the hung replica to be ejected');
  assert.equal(gw.stats().replicas[1]!.state, 'ready');
  assert.equal(gw.stats().replicas[1]!.consecutiveFailures, 0);
  for (let k = 0; k < 5; k++)
    assert.equal((await post(gw.url, k)).status, 200, 'while it is out, everything goes to the other');

  // Alone, it keeps its place: ejecting the only replica would turn slow answers into none.
  gw.setReplicas(endpoints([hung!]));
  await waitFor(() => gw.stats().replicas[0]!.state === 'ready', 2000, 'the ejection to run out');
  for (const r of await Promise.all(Array.from({ length: 4 }, (_, k) => post(gw.url, k)))) assert.equal(r.status, 504);
  await waitFor(() => gw.stats().inflight === 0, 4000, 'the attempts to be judged');
  const alone = gw.stats().replicas[0]!;
  assert.equal(alone.state, 'ready');
  assert.ok(alone.consecutiveFailures >= 2, `failures ${alone.consecutiveFailures} are still counted`);
});

test('a request the gateway itself wrote late is judged from when it was written', async (t) => {
  // The replica answers in 300 ms. The gateway's event loop stalls for 1.5 s between choosing the
  // replica and writing the request (as under a flood): the replica must not be blamed for that.
  const [slow, other] = await fakesFor(t, { kind: 'ok', delayMs: 300 }, { kind: 'ok' });
  const gw = await gatewayFor(t, { replicas: endpoints([slow!, other!]), ejectAfterFailures: 1, random: () => 0 });
  assert.equal((await post(gw.url, 0)).status, 200, 'warm-up');
  let stalled = false;
  const stall = (message: unknown) => {
    // Only the gateway's request to the replica (this process also sends the client's request).
    if (stalled || (message as { request: { origin: string } }).request.origin !== slow!.url) return;
    stalled = true;
    const until = performance.now() + 1500;
    while (performance.now() < until); // block the event loop, as a burst of work would
  };
  diagnostics.subscribe('undici:request:create', stall);
  t.after(() => diagnostics.unsubscribe('undici:request:create', stall));
  const r = await post(gw.url, 1, { [TIMEOUT_HEADER]: '100' });
  assert.ok(r.status === 503 || r.status === 504, `status ${r.status}`);
  await waitFor(() => gw.stats().inflight === 0, 5000, 'the late answer');
  assert.equal(gw.stats().ejections, 0, 'the replica answered 300 ms after the request was written');
  assert.deepEqual(
    gw.stats().replicas.map((x) => x.state),
    ['ready', 'ready'],
  );
});
