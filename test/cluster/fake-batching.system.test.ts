// The stand-in replica (fixtures/fake-serve.ts with FAKE_BATCHING) batches as the real one does in
// the mode its settings name: adaptive, the default, runs a lone request at once and waits for a
// fuller batch while the gateway says a full batch is in flight to it; fixed makes a lone request
// wait out batch_wait_timeout. The autoscaling system test and bench/autoscale-sim.ts rely on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { GATEWAY_INFLIGHT_HEADER } from '../../src/common/wire.js';
import { fakeCli } from './helpers.js';

const WAIT_MS = 600;

/** Starts a stand-in replica with `settings`; resolves its URL; killed after the test. */
async function fakeReplica(t: { after(fn: () => unknown): void }, settings: Record<string, unknown>): Promise<string> {
  const child = spawn(process.execPath, [fakeCli, 'replica', '--replica-id', 'r1', '--settings-stdin'], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { ...process.env, FAKE_BATCHING: '1', FAKE_INFER_MS: '5' },
  });
  t.after(() => child.kill('SIGKILL'));
  child.stdin.write(JSON.stringify({ settings: { maxBatchSize: 8, batchWaitMs: WAIT_MS, ...settings } }) + '\n');
  const lines = readline.createInterface({ input: child.stdout });
  for await (const line of lines) {
    const ev = JSON.parse(line) as { event: string; url?: string };
    if (ev.event === 'listening') return ev.url!;
  }
  throw new Error('the stand-in replica exited before it listened');
}

/** Milliseconds one single-row request took. */
async function timed(url: string, headers: Record<string, string> = {}): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v2/models/demo/infer`, { method: 'POST', body: '{}', headers });
  await res.arrayBuffer();
  assert.equal(res.status, 200);
  return performance.now() - t0;
}

test('adaptive (the default): a lone request runs at once; with a full batch in flight at the gateway it waits for company', async (t) => {
  const url = await fakeReplica(t, {});
  const alone = await timed(url);
  assert.ok(alone < WAIT_MS / 2, `a lone request took ${alone.toFixed(0)} ms (batch_wait_timeout ${WAIT_MS} ms)`);
  const filling = await timed(url, { [GATEWAY_INFLIGHT_HEADER]: '8' });
  assert.ok(filling >= WAIT_MS - 5, `with 8 in flight at the gateway it took ${filling.toFixed(0)} ms`);
});

test('fixed: a lone request waits out batch_wait_timeout', async (t) => {
  const url = await fakeReplica(t, { batchingMode: 'fixed' });
  const alone = await timed(url);
  assert.ok(alone >= WAIT_MS - 5, `a lone request took ${alone.toFixed(0)} ms`);
});
