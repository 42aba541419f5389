// `serve down` and `serve status` against a controller that stopped answering (a stuck fixture
// whose command line looks like `serve up`), a pid file naming an unrelated process, and a
// gateway that never listens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startCluster } from '../../src/cluster/controller/controller.js';
import { isAlive } from '../../src/common/process.js';
import { statePaths } from '../../src/cluster/state/state-dir.js';
import { cliEntry, outDir } from '../helpers/paths.js';
import { fakeCli, killAll, processesMatching, tempWorld, testProfile, waitFor } from './helpers.js';

const stuckFixture = path.join(outDir, 'test', 'cluster', 'fixtures', 'stuck-controller.js');

/** Runs the CLI without blocking the event loop (the stuck fixture is our child and must be reaped). */
function serve(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliEntry, ...args],
      { cwd, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

/** Starts the stuck controller in `mode` and waits until it owns the state dir. */
async function stuck(t: { after(fn: () => unknown): void }, mode: 'silent' | 'error500' | 'garbage') {
  const w = tempWorld();
  mkdirSync(w.stateDir, { recursive: true });
  const child: ChildProcess = spawn(process.execPath, [stuckFixture, cliEntry, 'up', w.stateDir, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => {
    killAll([child.pid!]);
    w.cleanup();
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  await waitFor('the stuck controller to listen', () => out.includes('ready'), 20_000);
  return { w, child, exited: new Promise((r) => child.once('exit', r)) };
}

test('serve status against a controller that does not answer: one line, exit 3', async (t) => {
  const { w } = await stuck(t, 'silent');
  const r = await serve(['status', '--timeout', '1s', '--state-dir', w.stateDir], w.root);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^serve: error: the controller \(pid \d+\) in .* did not answer within 1\.00s/);
  assert.doesNotMatch(r.stderr, /internal error/);
});

test('serve down stops a controller that does not answer and ignores SIGTERM: SIGKILL, one line naming the pid', async (t) => {
  const { w, child, exited } = await stuck(t, 'silent');
  const r = await serve(['down', '--timeout', '1s', '--state-dir', w.stateDir], w.root);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
  assert.match(
    r.stdout,
    new RegExp(
      `^stopped \\(the controller, pid ${child.pid}, did not answer within 1\\.00s; sent SIGTERM, then SIGKILL after`,
    ),
  );
  await exited;
  assert.equal(child.signalCode, 'SIGKILL');
  assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
});

test('serve down on a controller that answers 500: SIGTERM, no "internal error"; status says the 500 once', async (t) => {
  const { w, child, exited } = await stuck(t, 'error500');
  const st = await serve(['status', '--state-dir', w.stateDir], w.root);
  assert.equal(st.code, 3, st.stderr);
  assert.equal(st.stderr.trim().split('\n').length, 1, st.stderr);
  assert.match(st.stderr, /failed to answer GET \/status \(500: boom\)/);
  assert.doesNotMatch(st.stderr, /internal error/);
  const r = await serve(['down', '--timeout', '5s', '--state-dir', w.stateDir], w.root);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(
      `^stopped \\(the controller, pid ${child.pid}, failed to answer POST /down \\(500: boom\\); sent SIGTERM\\)\\n$`,
    ),
  );
  await exited;
  assert.equal(child.signalCode, 'SIGTERM');
});

test('serve down on a controller that answers garbage falls back to signals too', async (t) => {
  const { w, child, exited } = await stuck(t, 'garbage');
  const r = await serve(['down', '--timeout', '5s', '--state-dir', w.stateDir], w.root);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`pid ${child.pid}, answered 200 with a body that is not JSON; sent SIGTERM`));
  await exited;
});

test('serve down with a pid file naming an unrelated live process signals nothing, says nothing runs and exits 0', async (t) => {
  const w = tempWorld();
  const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  t.after(() => {
    killAll([other.pid!]);
    w.cleanup();
  });
  mkdirSync(w.stateDir, { recursive: true });
  writeFileSync(statePaths(w.stateDir).pidFile, `${other.pid}\n`);
  const r = await serve(['down', '--timeout', '1s', '--state-dir', w.stateDir], w.root);
  // Nothing to stop is what `down` wants (issue 21): exit 0, so an always-run teardown step passes.
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^nothing to stop: no cluster is running in /);
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(other.exitCode, null);
  assert.ok(isAlive(other.pid!));
});

test('a gateway that never reports listening fails the start after health.startup_timeout and leaves nothing', async (t) => {
  const w = tempWorld();
  const env = { FAKE_SILENT_IDS: 'gateway' };
  t.after(() => {
    killAll(processesMatching(fakeCli));
    w.cleanup();
  });
  const started = Date.now();
  await assert.rejects(
    startCluster(testProfile(w.registry, { health: { startupTimeoutMs: 1000 }, env }), {
      stateDir: w.stateDir,
      cliEntry: fakeCli,
    }),
    /the gateway did not start: not ready within 1000ms \(health\.startup_timeout\)/,
  );
  assert.ok(Date.now() - started < 15_000);
  // The gateway (and the replicas) were stopped, not left behind.
  assert.deepEqual(processesMatching(fakeCli), []);
  const paths = statePaths(w.stateDir);
  assert.equal(existsSync(paths.pidFile), false);
  assert.equal(existsSync(paths.adminSocket), false);
});
