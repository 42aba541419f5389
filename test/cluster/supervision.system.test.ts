// Supervision with real child processes: the fake data-plane CLI stands in for `serve replica` and
// `serve gateway`, so crashes, hangs, probe failures and memory growth are under the test's control.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync, readFileSync } from 'node:fs';
import { startCluster } from '../../src/cluster/controller/controller.js';
import { AdminClient } from '../../src/client/admin-client.js';
import { statePaths } from '../../src/cluster/state/state-dir.js';
import { probeWindowMs } from '../../src/cluster/replicas/probe.js';
import { isAlive } from '../../src/common/process.js';
import type { ClusterEvent } from '../../src/cluster/events.js';
import { fakeCli, killAll, processesMatching, tempWorld, testProfile, waitFor, watchedCluster } from './helpers.js';
import net from 'node:net';
import { once } from 'node:events';

type World = ReturnType<typeof tempWorld>;

/** Starts a fake cluster and registers cleanup that also kills every pid it ever saw. */
async function start(
  t: { after(fn: () => unknown): void },
  w: World,
  over: Parameters<typeof testProfile>[1] = {},
  extra: { oversubscribe?: boolean } = {},
) {
  const events: ClusterEvent[] = [];
  const { h, seen, status } = await watchedCluster(t, w, () =>
    startCluster(testProfile(w.registry, over), {
      stateDir: w.stateDir,
      cliEntry: fakeCli,
      onEvent: (e) => events.push(e),
      ...extra,
    }),
  );
  return { h, events, seen, status };
}

async function get(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.json() };
}

test('starts replicas and the gateway, keeps the state dir, refuses a second start, stops cleanly', async (t) => {
  const w = tempWorld();
  const { h, status, seen } = await start(t, w);
  const s = status();
  assert.equal(s.phase, 'running');
  assert.deepEqual(
    s.replicas.map((r) => [r.id, r.state]),
    [
      ['replica-1', 'ready'],
      ['replica-2', 'ready'],
    ],
  );
  assert.ok(s.replicas.every((r) => r.pid && r.port && r.device === 'cpu'));
  const paths = statePaths(w.stateDir);
  assert.equal(statSync(paths.adminSocket).mode & 0o777, 0o600);
  assert.equal(Number(readFileSync(paths.pidFile, 'utf8').split('\n')[0]), process.pid);
  const state = JSON.parse(readFileSync(paths.stateFile, 'utf8'));
  assert.equal(state.gatewayUrl, h.gatewayUrl);
  assert.deepEqual(state.model, { name: 'demo', version: 1 });

  // The gateway was told the whole set, both ready.
  const control = await waitFor('gateway to see 2 ready replicas', async () => {
    const c = (await get(`${h.gatewayUrl}/control`)).body as {
      last: { replicas: Array<{ id: string; url: string; ready: boolean }> };
    };
    return c.last?.replicas?.filter((r) => r.ready).length === 2 ? c : undefined;
  });
  assert.deepEqual(control.last.replicas.map((r) => r.url).sort(), s.replicas.map((r) => r.url).sort());

  // The admin API answers the same status over the socket.
  const viaSocket = await new AdminClient(w.stateDir).status();
  assert.equal(viaSocket.gatewayUrl, h.gatewayUrl);

  await assert.rejects(
    startCluster(testProfile(w.registry), { stateDir: w.stateDir, cliEntry: fakeCli }),
    /a cluster is already running in .* \(pid \d+\)/,
  );

  await h.stop();
  for (const pid of seen) assert.equal(isAlive(pid), false, `pid ${pid} is gone`);
  assert.equal(existsSync(paths.pidFile), false);
  assert.equal(existsSync(paths.adminSocket), false);
  await assert.rejects(new AdminClient(w.stateDir).status(), /no cluster is running/);
});

test('the admin API refuses a bad scale body, and a killed gateway comes back on the same port with the set', async (t) => {
  const w = tempWorld();
  const { h, status } = await start(t, w);
  await assert.rejects(
    new AdminClient(w.stateDir).request('POST', '/scale', { replicas: -1 }),
    /body must be \{"replicas"/,
  );
  await assert.rejects(new AdminClient(w.stateDir).request('GET', '/nope'), /no such admin endpoint: GET \/nope/);
  const gw = status().gateway.pid!;
  process.kill(gw, 'SIGKILL');
  await waitFor('gateway restarted', () => status().gateway.state === 'ready' && status().gateway.pid !== gw);
  assert.equal(status().gateway.restarts, 1);
  assert.equal(status().gatewayUrl, h.gatewayUrl);
  const c = await waitFor('the new gateway to get the set', async () => {
    const r = await get(`${h.gatewayUrl}/control`).catch(() => undefined);
    return (r?.body as { last?: { replicas: unknown[] } } | undefined)?.last?.replicas.length === 2;
  });
  assert.ok(c);
});

test('a gateway that cannot listen fails the start at once and leaves no replica running', async (t) => {
  const w = tempWorld();
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.after(() => {
    blocker.close();
    killAll(processesMatching(w.registry));
    w.cleanup();
  });
  const port = (blocker.address() as net.AddressInfo).port;
  await assert.rejects(
    startCluster(testProfile(w.registry, { gateway: { port } }), { stateDir: w.stateDir, cliEntry: fakeCli }),
    /the gateway did not start/,
  );
  assert.deepEqual(processesMatching(w.registry), []);
  assert.equal(existsSync(statePaths(w.stateDir).pidFile), false);
});

test('a missing model is one clear error and claims nothing', async (t) => {
  const w = tempWorld();
  t.after(() => w.cleanup());
  await assert.rejects(
    startCluster(testProfile(w.registry, { model: { name: 'nope', version: 1, registry: w.registry } }), {
      stateDir: w.stateDir,
      cliEntry: fakeCli,
    }),
    /model "nope" is not in registry .*known models: demo/,
  );
  await assert.rejects(
    startCluster(testProfile(w.registry, { model: { name: 'demo', version: 7, registry: w.registry } }), {
      stateDir: w.stateDir,
      cliEntry: fakeCli,
    }),
    /model "demo" has no version 7 in .* \(versions: 1\)/,
  );
  assert.equal(existsSync(statePaths(w.stateDir).pidFile), false);
});

test('a replica killed with SIGKILL is replaced and the gateway gets the new address', async (t) => {
  const w = tempWorld();
  const { h, status } = await start(t, w);
  const victim = status().replicas[0]!;
  process.kill(victim.pid!, 'SIGKILL');
  const back = await waitFor('replica-1 to be back', () => {
    const r = status().replicas.find((x) => x.id === 'replica-1');
    return r?.state === 'ready' && r.pid !== victim.pid ? r : undefined;
  });
  assert.equal(back.restarts, 1);
  await waitFor('gateway to route to the new replica-1', async () => {
    const c = (await get(`${h.gatewayUrl}/control`)).body as {
      last: { replicas: Array<{ id: string; url: string; ready: boolean }> };
    };
    return c.last.replicas.some((r) => r.id === 'replica-1' && r.url === back.url && r.ready);
  });
});

test('a hung (SIGSTOP) replica is replaced within the probe window; occasional probe failures are tolerated', async (t) => {
  const w = tempWorld();
  const { status, events } = await start(t, w);
  const [r1, r2] = status().replicas;
  // replica-2 fails one probe in three for a while: never replaced.
  for (let i = 0; i < 3; i++) {
    await get(`${r2!.url}/fake/fail-probes?n=1`);
    await new Promise((r) => setTimeout(r, 250));
  }
  process.kill(r1!.pid!, 'SIGSTOP');
  const stoppedAt = Date.now();
  await waitFor(
    'replica-1 unhealthy',
    () => status().replicas.find((r) => r.id === 'replica-1')?.state !== 'ready',
    20_000,
    10,
  );
  const detectedMs = Date.now() - stoppedAt;
  const health = testProfile(w.registry).health;
  const window = probeWindowMs(health);
  // A hung replica fails its probes one after another, each only at its timeout: up to
  // failureThreshold x (timeout + period) = 1.2 s. Twice that plus 4 s covers scheduling on a loaded
  // 2-core machine; a real regression (probes without a timeout, no threshold) never detects it.
  const sequentialMs = health.failureThreshold * (health.timeoutMs + health.periodMs);
  const boundMs = 2 * sequentialMs + 4000;
  assert.ok(detectedMs < boundMs, `detected after ${detectedMs} ms (window ${window} ms, bound ${boundMs} ms)`);
  const back = await waitFor('replica-1 replaced', () => {
    const r = status().replicas.find((x) => x.id === 'replica-1');
    return r?.state === 'ready' && r.pid !== r1!.pid ? r : undefined;
  });
  assert.equal(back.restarts, 1);
  assert.ok(events.some((e) => e.kind === 'unhealthy' && /failed 3 health probes in a row/.test(e.message)));
  const s2 = status().replicas.find((r) => r.id === 'replica-2')!;
  assert.equal(s2.restarts, 0);
  assert.equal(s2.pid, r2!.pid);
});

test('a crash loop marks the replica failed with the reason instead of restarting forever', async (t) => {
  const w = tempWorld();
  // Through the profile's env: the children get nothing else of this process's environment.
  const { status, events } = await start(t, w, { env: { FAKE_CRASH_IDS: 'replica-2' } });
  const r2 = status().replicas.find((r) => r.id === 'replica-2')!;
  assert.equal(r2.state, 'failed');
  assert.match(r2.reason!, /crash loop: 5 failures within 10s \(last: exited with code 1\)/);
  assert.equal(r2.restarts, 4);
  assert.equal(status().replicas.find((r) => r.id === 'replica-1')!.state, 'ready');
  assert.ok(events.some((e) => e.level === 'error' && e.kind === 'failed'));
});

test('no ready replica at all: startCluster fails and leaves nothing running', async (t) => {
  const w = tempWorld();
  t.after(() => w.cleanup());
  await assert.rejects(
    startCluster(testProfile(w.registry, { env: { FAKE_CRASH_IDS: 'replica-1,replica-2' } }), {
      stateDir: w.stateDir,
      cliEntry: fakeCli,
    }),
    /no replica became ready: replica-1: failed \(crash loop/,
  );
  assert.equal(existsSync(statePaths(w.stateDir).pidFile), false);
});

test('a replica over its memory limit is restarted and the event logged', async (t) => {
  const w = tempWorld();
  const { status, events } = await start(t, w, { resources: { memoryBytes: 150 * 1024 * 1024 } });
  const r1 = status().replicas[0]!;
  await get(`${r1.url}/fake/grow?mb=200`);
  const back = await waitFor('replica-1 restarted', () => {
    const r = status().replicas.find((x) => x.id === 'replica-1');
    return r?.state === 'ready' && r.pid !== r1.pid ? r : undefined;
  });
  assert.equal(back.restarts, 1);
  assert.ok(events.some((e) => /RSS .* over its memory limit 150.0MiB/.test(e.message)));
  const log = readFileSync(`${statePaths(w.stateDir).logsDir}/controller.log`, 'utf8');
  assert.match(log, /over its memory limit/);
});

test('replicas that do not fit are pending with a reason; --oversubscribe places them with a warning', async (t) => {
  const w = tempWorld();
  const { status } = await start(t, w, { replicas: { initial: 3 }, resources: { cpus: 1 }, local: { cpus: 2 } });
  const s = status();
  assert.deepEqual(
    s.replicas.map((r) => r.state),
    ['ready', 'ready', 'pending'],
  );
  assert.match(s.replicas[2]!.reason!, /does not fit: needs 1 CPUs, 0 free on local/);
  assert.equal(s.replicas[2]!.pid, undefined);
  // A forced scale says which replicas could not be placed, and why, instead of "scaling to 4".
  const { h } = await start(t, tempWorld(), {
    replicas: { initial: 2, max: 2 },
    resources: { cpus: 1 },
    local: { cpus: 2 },
  });
  const scaled = await h.scale(4, true);
  assert.deepEqual({ from: scaled.from, to: scaled.to }, { from: 2, to: 4 });
  assert.deepEqual(
    scaled.pending.map((p) => p.id),
    ['replica-3', 'replica-4'],
  );
  assert.match(scaled.pending[0]!.reason, /does not fit: needs 1 CPUs, 0 free on local/);

  const w2 = tempWorld();
  const o = await start(
    t,
    w2,
    { replicas: { initial: 3 }, resources: { cpus: 1 }, local: { cpus: 2 } },
    { oversubscribe: true },
  );
  const s2 = o.status();
  assert.deepEqual(
    s2.replicas.map((r) => r.state),
    ['ready', 'ready', 'ready'],
  );
  assert.equal(s2.warnings.length, 1);
  assert.match(s2.warnings[0]!, /oversubscribes local/);
});

test('scale respects min/max unless forced, and the autoscaler follows in-flight load', async (t) => {
  const w = tempWorld();
  const { h, status } = await start(t, w, { replicas: { min: 1, max: 3, initial: 1 }, autoscaling: { enabled: true } });
  await assert.rejects(
    h.scale(4),
    /4 replicas is outside the profile's range 1\.\.3: pick a count in it, or add --force/,
  );
  // Report 5 in flight on the only replica: ceil(5 / 2) = 3 replicas after the 300 ms upscale delay.
  await get(`${status().replicas[0]!.url}/fake/in-flight?n=5`);
  await waitFor('autoscaling to 3', () => status().replicas.filter((r) => r.state === 'ready').length === 3, 10_000);
  assert.equal(status().autoscaling.wantedReplicas, 3);
  await h.scale(4, true);
  assert.equal(status().autoscaling.active, false);
  await waitFor('4 ready', () => status().replicas.filter((r) => r.state === 'ready').length === 4);
});
