// client/detached-cluster.ts with a real background process (the fixture stands in for `serve up`):
// the wait for "running" is woken by the state directory's changes, not a timer; stop asks /down,
// and a controller that does not answer and ignores SIGTERM is killed with its group after the grace;
// one that dies while it starts is reported with the line it wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DetachedCluster, terminate } from '../../src/client/detached-cluster.js';
import { AdminClient } from '../../src/client/admin-client.js';
import { QUIET_MS, untilCluster } from '../../src/client/cluster-changes.js';
import { isAlive } from '../../src/common/process.js';
import { statePaths } from '../../src/common/state-layout.js';
import { detachedFailure } from '../../src/cli/up/detached.js';
import { outDir } from '../helpers/paths.js';

const fixture = path.join(outDir, 'test', 'client', 'fixtures', 'background-controller.js');

/** Starts the fixture in `mode` on a fresh state directory; whatever is left is killed after the test. */
function start(t: { after(fn: () => unknown): void }, mode: string, startMs = 0): DetachedCluster {
  const root = mkdtempSync(path.join(os.tmpdir(), 'serve-detached-'));
  const paths = statePaths(path.join(root, 'state'));
  mkdirSync(paths.dir, { mode: 0o700 });
  const c = DetachedCluster.start(fixture, [paths.dir, mode, String(startMs)], paths);
  t.after(() => {
    c.kill();
    rmSync(root, { recursive: true, force: true });
  });
  return c;
}

/** The fixture's replica: a `sleep` in the controller's process group. */
function replicaPid(status: { replicas: Array<{ pid?: number }> }): number {
  return status.replicas[0]!.pid!;
}

test('waits until running, woken by a change in the state directory (not the quiet timer); stop asks /down', async (t) => {
  const c = start(t, 'ok', 300);
  const status = await c.waitRunning({ timeoutMs: 10_000 });
  assert.ok(status, 'running');
  assert.equal(status.controllerPid, c.pid);
  // Nothing else changes in the directory after it says running: only that change could wake the wait.
  const lateMs = Date.now() - (status as unknown as { runningAtMs: number }).runningAtMs;
  assert.ok(lateMs < QUIET_MS / 2, `noticed ${lateMs} ms after it said running`);
  const r = await c.stop({ timeoutMs: 5000, termGraceMs: 1000 });
  assert.deepEqual(r, { killed: false });
  assert.equal(isAlive(c.pid), false);
  assert.equal(c.exitCode, 0, 'it exited on its own after /down');
});

test('one that does not answer /down and ignores SIGTERM: SIGTERM, then SIGKILL of its group after the grace', async (t) => {
  const c = start(t, 'stubborn');
  const status = await c.waitRunning({ timeoutMs: 10_000 });
  assert.ok(status);
  const t0 = performance.now();
  const r = await c.stop({ timeoutMs: 600, termGraceMs: 500 });
  const tookMs = performance.now() - t0;
  assert.deepEqual(r, { unresponsive: 'did not answer within 600ms', killed: true });
  assert.equal(c.exitCode, null, 'ended by a signal');
  assert.equal(isAlive(c.pid), false);
  assert.equal(isAlive(replicaPid(status)), false, 'its group went with it');
  assert.ok(tookMs >= 1000 && tookMs < 4000, `stopped in ${tookMs.toFixed(0)} ms`);
});

test('terminate: SIGTERM within the grace is enough (no SIGKILL), and the group hears it', async (t) => {
  const c = start(t, 'ok');
  const status = await c.waitRunning({ timeoutMs: 10_000 });
  assert.ok(status);
  assert.equal(await terminate(c, 5000), false, 'no SIGKILL needed');
  assert.equal(c.exitCode, 0);
  assert.equal(isAlive(replicaPid(status)), false);
});

test('a controller that dies while it starts: no status, its exit code, and the error line it wrote', async (t) => {
  const c = start(t, 'dies');
  const t0 = performance.now();
  assert.equal(await c.waitRunning(), undefined);
  assert.ok(performance.now() - t0 < QUIET_MS, 'its exit event ends the wait');
  assert.equal(c.exitCode, 2);
  const err = detachedFailure(c.exitCode, c.output(), c.outputLog);
  assert.equal(err.message, 'model "x" is not in registry ./models');
  assert.deepEqual(err.details, ['run `serve model list`']);
  assert.equal(err.exitCode, 2);
});

test("a wait on a controller that dies without a word (kill -9: no change in its directory) ends at the quiet deadline with the check's error", async (t) => {
  const c = start(t, 'ok');
  assert.ok(await c.waitRunning({ timeoutMs: 10_000 }));
  const admin = new AdminClient(c.paths.dir, 2000);
  let answered!: () => void;
  const firstAnswer = new Promise<void>((r) => (answered = r));
  const waiting = untilCluster(c.paths, async () => (await admin.status(), answered(), undefined), { quietMs: 300 });
  // Killed between two checks: only the quiet deadline can ask again.
  await firstAnswer;
  c.kill();
  await c.exited;
  const t0 = performance.now();
  const hung = new Promise((r) => setTimeout(r, 5000).unref());
  await assert.rejects(Promise.race([waiting, hung]), (err: Error) => err.name === 'UnreachableError');
  assert.ok(performance.now() - t0 < 2000, `ended ${(performance.now() - t0).toFixed(0)} ms after the kill`);
});
