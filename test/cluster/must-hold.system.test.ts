// The must-hold checks with real `serve replica` (ONNX Runtime, 1 thread) and real
// `serve gateway` processes: kill -9 under load fails nothing, a hung replica is replaced, draining
// on scale-down and on stop fails no accepted request. Each runs a few seconds of bounded load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startCluster } from '../../src/cluster/controller/controller.js';
import { isAlive } from '../../src/common/process.js';
import { cliEntry } from '../helpers/paths.js';
import { addDemoModel, fakeCli, killAll, tempWorld, testProfile, waitFor, watchedCluster } from './helpers.js';
import { startLoad } from './load.js';

const GiB = 1024 ** 3;

/** A temp world with the demo model written into its registry by the real CLI (built once a file). */
function demoWorld() {
  const w = tempWorld();
  addDemoModel(w.registry);
  return w;
}

function realProfile(registry: string, initial: number) {
  return testProfile(registry, {
    model: { name: 'cnn-lstm', version: 1, registry },
    replicas: { min: 1, max: 4, initial },
    resources: { cpus: 0.5, memoryBytes: 2 * GiB },
    health: { periodMs: 200, timeoutMs: 1000, failureThreshold: 3, startupTimeoutMs: 30_000 },
    gateway: { requestTimeoutMs: 5000 },
  });
}

/** Starts the cluster; cleanup stops it and SIGKILLs every pid it ever reported. */
async function start(
  t: { after(fn: () => unknown): void },
  w: ReturnType<typeof tempWorld>,
  initial: number,
  extra: { cliEntry?: string } = {},
) {
  const c = await watchedCluster(t, w, () =>
    startCluster(realProfile(w.registry, initial), { stateDir: w.stateDir, ...extra }),
  );
  return { ...c, inferUrl: `${c.h.gatewayUrl}/v2/models/cnn-lstm/infer` };
}

test('kill -9 of one replica every ~1.5 s under load: zero failed requests, each replaced, no orphans', async (t) => {
  const w = demoWorld();
  const { h, status, seen, inferUrl } = await start(t, w, 3);
  const load = startLoad(inferUrl, { workers: 4, maxMs: 20_000, maxRequests: 50_000 });
  const killed: number[] = [];
  for (const id of ['replica-1', 'replica-2', 'replica-3']) {
    await load.moreOk(150);
    // Wait for the previous victim to be back so two replicas are never down at once.
    await waitFor('all ready before the next kill', () => status().replicas.every((r) => r.state === 'ready'), 15_000);
    const victim = status().replicas.find((r) => r.id === id)!;
    killed.push(victim.pid!);
    process.kill(victim.pid!, 'SIGKILL');
  }
  await load.moreOk(100);
  const result = await load.stop();
  assert.deepEqual(
    result.failures,
    [],
    `${result.failures.length} of ${result.ok + result.failures.length} requests failed`,
  );
  assert.ok(result.ok > 50, `only ${result.ok} requests went through`);
  const after = await waitFor(
    'every replica replaced and ready',
    () => {
      const s = status();
      return s.replicas.every((r) => r.state === 'ready' && r.restarts === 1 && !killed.includes(r.pid!))
        ? s
        : undefined;
    },
    15_000,
  );
  assert.equal(after.replicas.length, 3);
  await h.stop();
  await waitFor('no process left', () => [...seen].every((pid) => !isAlive(pid)), 5000);
});

test('a SIGSTOPped replica is taken out and replaced while the others keep serving', async (t) => {
  const w = demoWorld();
  const { status, inferUrl } = await start(t, w, 2);
  const victim = status().replicas[0]!;
  process.kill(victim.pid!, 'SIGSTOP');
  t.after(() => killAll([victim.pid!]));
  const back = await waitFor(
    'replica-1 replaced',
    () => {
      const r = status().replicas.find((x) => x.id === 'replica-1');
      return r?.state === 'ready' && r.pid !== victim.pid ? r : undefined;
    },
    20_000,
  );
  assert.equal(back.restarts, 1);
  assert.equal(isAlive(victim.pid!), false, 'the hung process was killed, not left stopped');
  const load = startLoad(inferUrl, { workers: 2, maxMs: 10_000, maxRequests: 2000 });
  await load.moreOk(100);
  const result = await load.stop();
  assert.deepEqual(result.failures, []);
  assert.ok(result.ok > 0);
});

test('draining on scale-down and on stop fails no accepted request (slow replicas behind the real gateway)', async (t) => {
  const w = tempWorld();
  const env = { FAKE_REAL_CLI: cliEntry, FAKE_INFER_MS: '300' };
  const { h: handle, seen } = await watchedCluster(t, w, () =>
    startCluster(testProfile(w.registry, { replicas: { initial: 3 }, gateway: { requestTimeoutMs: 5000 }, env }), {
      stateDir: w.stateDir,
      cliEntry: fakeCli,
    }),
  );
  const url = `${handle.gatewayUrl}/v2/models/demo/infer`;

  // Scale 3 -> 1 while 6 workers keep ~6 slow requests in flight at all times.
  const load = startLoad(url, { workers: 6, maxMs: 15_000, maxRequests: 10_000 });
  await load.moreOk(12);
  await handle.scale(1);
  await waitFor('scaled down to 1', () => handle.status().replicas.length === 1, 15_000);
  await load.moreOk(6);
  const scaled = await load.stop();
  assert.deepEqual(scaled.failures, []);
  assert.ok(scaled.ok >= 12, `only ${scaled.ok} requests`);

  // Stop with requests in flight: each one already sent is answered.
  const load2 = startLoad(url, { workers: 6, maxMs: 15_000, maxRequests: 6 });
  // All six are at the gateway (in flight to the slow replicas) before the stop begins.
  await waitFor(
    'six requests in flight at the gateway',
    async () => {
      const text = await (await fetch(`${handle.gatewayUrl}/metrics`)).text();
      return Number(/^serve_gateway_inflight_requests (\d+)$/m.exec(text)?.[1] ?? 0) === 6;
    },
    10_000,
  );
  const stopping = handle.stop();
  const final = await load2.stop();
  await stopping;
  assert.deepEqual(final.failures, []);
  assert.equal(final.ok, 6);
  for (const pid of seen) assert.equal(isAlive(pid), false);
  assert.ok(path.isAbsolute(fakeCli));
});
