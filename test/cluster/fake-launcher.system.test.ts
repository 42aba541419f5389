// Supervisor edge cases through a fake launcher (the seam): processes that never become ready,
// and the exact order of starts, kills and restarts, without spawning anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../../src/cluster/controller/controller.js';
import type { ExitInfo, LaunchSpec, LaunchedProcess, Launcher } from '../../src/cluster/launchers/launcher.js';
import { tempWorld, testProfile, waitFor } from './helpers.js';

/** A launcher whose "processes" are objects: the gateway listens at once; replicas do what `replica` says. */
class FakeLauncher implements Launcher {
  started: Array<{ id: string; pid: number }> = [];
  signals: Array<{ id: string; signal: string }> = [];
  private nextPid = 1000;
  constructor(private readonly replica: (spec: LaunchSpec, n: number) => void) {}
  start(spec: LaunchSpec): LaunchedProcess {
    const pid = this.nextPid++;
    let exit!: (i: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((r) => (exit = r));
    this.started.push({ id: spec.id, pid });
    const kill = (signal: string) => {
      this.signals.push({ id: spec.id, signal });
      setImmediate(() => exit({ code: null, signal }));
    };
    if (spec.id === 'gateway')
      setImmediate(() => spec.onEvent({ event: 'listening', host: '127.0.0.1', port: 1, url: 'http://127.0.0.1:1' }));
    else this.replica(spec, this.started.filter((s) => s.id === spec.id).length);
    return { pid, exited, send: () => {}, signal: (s) => kill(s), stop: async (_g) => (kill('SIGTERM'), exited) };
  }
}

test('a replica that never becomes ready is killed at the startup timeout, restarted, then marked failed', async (t) => {
  const w = tempWorld();
  t.after(() => w.cleanup());
  // replica-1 is fine; replica-2 listens but never says ready.
  const launcher = new FakeLauncher((spec) => {
    setImmediate(() => spec.onEvent({ event: 'listening', host: '127.0.0.1', port: 2, url: 'http://127.0.0.1:2' }));
    if (spec.id === 'replica-1') setImmediate(() => spec.onEvent({ event: 'ready', device: 'cpu' }));
  });
  const profile = testProfile(w.registry, {
    health: { startupTimeoutMs: 100, periodMs: 60_000 },
    restart: { initialBackoffMs: 10, crashLoopFailures: 3, crashLoopWindowMs: 60_000 },
  });
  const h = await startCluster(profile, { stateDir: w.stateDir, launcher });
  t.after(() => h.stop());
  const r2 = h.status().replicas.find((r) => r.id === 'replica-2')!;
  assert.equal(r2.state, 'failed');
  assert.match(
    r2.reason!,
    /^crash loop: 3 failures within 60s \(last: not ready within 100ms \(health.startup_timeout\)\)$/,
  );
  assert.ok((r2.retryInMs ?? 0) > 290_000, 'a failed replica is tried again after restart.failed_retry');
  assert.equal(launcher.started.filter((s) => s.id === 'replica-2').length, 3);
  assert.deepEqual(
    launcher.signals.filter((s) => s.id === 'replica-2').map((s) => s.signal),
    ['SIGKILL', 'SIGKILL', 'SIGKILL'],
  );
  assert.equal(h.status().replicas.find((r) => r.id === 'replica-1')!.state, 'ready');
  // Scaling down removes the failed slot first and keeps the ready one.
  await h.scale(1);
  await waitFor('failed slot removed', () => h.status().replicas.length === 1);
  assert.equal(h.status().replicas[0]!.id, 'replica-1');
  assert.equal(launcher.signals.filter((s) => s.id === 'replica-1').length, 0);
});
