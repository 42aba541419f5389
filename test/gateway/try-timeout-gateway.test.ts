// Per-try timeouts through a real gateway, against loopback fakes (gateway): a replica that stops
// answering without closing its connections costs no request, and is ejected after consecutive timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpoints, fakesFor, gatewayFor, inferBody, inferPath, jsonHeaders, send, waitFor } from './client.js';

const post = (url: string, k: number) => send(url + inferPath, { body: inferBody(k), headers: jsonHeaders });

function metric(text: string, name: string, label: string): number {
  const m = new RegExp(`^${name}\\{${label}\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

test('a replica that goes silent mid-load: its requests are resent after its try timeout, none fails, and it is ejected', async (t) => {
  const [frozen, ok] = await fakesFor(t, { kind: 'ok', delayMs: 5 }, { kind: 'ok', delayMs: 5 });
  const gw = await gatewayFor(t, {
    replicas: endpoints([frozen!, ok!]),
    requestTimeoutMs: 1000,
    ejectAfterFailures: 3,
    ejectForMs: 60_000,
    tryTimeoutMinMs: 100,
  });
  // Both replicas learn their latency (P2C spreads concurrent requests over both).
  for (let round = 0; round < 12; round++)
    for (const r of await Promise.all(Array.from({ length: 6 }, (_, k) => post(gw.url, k))))
      assert.equal(r.status, 200);
  assert.ok(
    frozen!.seen.length >= 8 && ok!.seen.length >= 8,
    `warm-up reached ${frozen!.seen.length}, ${ok!.seen.length}`,
  );

  frozen!.mode = { kind: 'hang' }; // takes requests, answers nothing, closes nothing (as SIGSTOP)
  const before = frozen!.seen.length;
  const replies = await Promise.all(Array.from({ length: 12 }, (_, k) => post(gw.url, k)));
  assert.deepEqual(
    replies.map((r) => r.status),
    replies.map(() => 200),
  );
  const sentToFrozen = frozen!.seen.length - before;
  assert.ok(sentToFrozen >= 1, 'some requests went to the frozen replica, or nothing was tested');
  // Resent after about 100 ms of silence (4x the slowest recent answer when more), far inside the 1 s deadline (without try timeouts: 504 at 1 s).
  const slowest = Math.max(...replies.map((r) => r.ms));
  // (The try timeout is 4x the slowest recent answer: on a loaded machine it can reach a few hundred ms.)
  assert.ok(slowest < 900, `slowest answer ${slowest.toFixed(0)} ms`);
  assert.equal(metric(await gw.metrics(), 'serve_gateway_retries_total', 'reason="timeout"'), sentToFrozen);

  // Consecutive timeouts eject it, as refused connections do; then everything goes to the other one.
  for (let k = 0; gw.stats().replicas[0]!.state !== 'ejected' && k < 20; k++)
    assert.equal((await post(gw.url, k)).status, 200);
  assert.equal(gw.stats().replicas[0]!.state, 'ejected');
  const atEjection = frozen!.seen.length;
  for (let k = 0; k < 5; k++) assert.equal((await post(gw.url, k)).status, 200);
  assert.equal(frozen!.seen.length, atEjection);
  await waitFor(() => gw.stats().replicas[0]!.inflight === 0, 2000, 'the given-up tries to be closed');
});

test('with no other replica to take it, a try at a silent replica waits for its deadline as before', async (t) => {
  const [alone] = await fakesFor(t, { kind: 'ok', delayMs: 2 });
  const gw = await gatewayFor(t, { replicas: endpoints([alone!]), requestTimeoutMs: 400, tryTimeoutMinMs: 50 });
  for (let k = 0; k < 10; k++) assert.equal((await post(gw.url, k)).status, 200);
  alone!.mode = { kind: 'hang' };
  const r = await post(gw.url, 0);
  assert.equal(r.status, 504, 'nothing else could answer it: the deadline decides');
  assert.ok(r.ms >= 390, `answered after ${r.ms.toFixed(0)} ms`);
  assert.equal(gw.stats().replicas[0]!.state, 'ready', 'the last replica is never ejected for silence');
});
