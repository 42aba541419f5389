// Trusting a state directory (control plane): ownership and mode of the directory and its logs/,
// and no write through a link placed where serve keeps a file (pid file, state.json, the Prometheus
// targets file, logs, up.log, admin socket). Real files, links and chmod; "another user" is uid
// 12345 via chown (root only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import {
  claimStateDir,
  releaseStateDir,
  runningPid,
  statePaths,
  writeStateFile,
  type StatePaths,
} from '../../src/cluster/state/state-dir.js';
import { LogFiles } from '../../src/cluster/state/log-files.js';
import { RotatingLog } from '../../src/cluster/state/rotating-log.js';
import { DetachedCluster } from '../../src/client/detached-cluster.js';
import { startAdminServer } from '../../src/cluster/controller/admin-server.js';
import type { ClusterStateFile } from '../../src/common/wire.js';
import { SdFile } from '../../src/cluster/monitoring/prometheus-sd.js';
import { RetriedWrites } from '../../src/cluster/state/write-retry.js';
import { systemClock } from '../../src/common/clock.js';
import { lstatIfAny } from '../../src/common/no-follow.js';
import { tempWorld } from './helpers.js';

const PRECIOUS = "not serve's file\n";

/** A temp world with its state dir and logs/ made with exactly these modes, and a file outside it. */
function world(t: { after(fn: () => void): void }, dirMode = 0o700, logsMode = 0o700) {
  const w = tempWorld();
  t.after(() => w.cleanup());
  const paths = statePaths(w.stateDir);
  mkdirSync(paths.logsDir, { recursive: true });
  chmodSync(paths.dir, dirMode);
  chmodSync(paths.logsDir, logsMode);
  const outside = path.join(w.root, 'precious.txt');
  writeFileSync(outside, PRECIOUS);
  return { ...w, paths, outside };
}

function modeOf(p: string): number {
  return statSync(p).mode & 0o777;
}

/** The error claimStateDir throws; fails the test if it claims. */
function claimError(paths: StatePaths): Error & { exitCode?: number } {
  try {
    claimStateDir(paths);
  } catch (err) {
    return err as Error & { exitCode?: number };
  }
  releaseStateDir(paths);
  return assert.fail('the state directory was claimed');
}

function assertRefused(err: Error & { exitCode?: number }, message: RegExp): void {
  assert.equal(err.name, 'UserError', err.stack);
  assert.equal(err.exitCode, 2);
  assert.doesNotMatch(err.message, /\n/, 'one line');
  assert.match(err.message, message);
}

const stateFile: ClusterStateFile = {
  version: 1,
  pid: process.pid,
  startedAt: new Date(0).toISOString(),
  profileName: 't',
  profilePath: '/p.yaml',
  gatewayUrl: 'http://127.0.0.1:1',
  adminSocket: '/s',
  model: { name: 'demo', version: 1 },
  slo: {},
};

test('a state directory of ours that others can read is tightened to 0700, its logs folder too', (t) => {
  const w = world(t, 0o755, 0o755);
  claimStateDir(w.paths);
  t.after(() => releaseStateDir(w.paths));
  assert.equal(modeOf(w.paths.dir), 0o700);
  assert.equal(modeOf(w.paths.logsDir), 0o700);
  assert.equal(runningPid(w.paths), process.pid);
});

test('a new state directory is made 0700 with a 0700 logs folder', (t) => {
  const w = tempWorld();
  t.after(() => w.cleanup());
  const paths = statePaths(path.join(w.stateDir, 'nested'));
  claimStateDir(paths);
  releaseStateDir(paths);
  assert.equal(modeOf(paths.dir), 0o700);
  assert.equal(modeOf(paths.logsDir), 0o700);
});

test('a state directory or logs folder writable by group or others is refused in one line naming it and the fix', (t) => {
  for (const [dirMode, logsMode, which] of [
    [0o775, 0o700, 'dir'],
    [0o757, 0o700, 'dir'],
    [0o700, 0o770, 'logs'],
  ] as const) {
    const w = world(t, dirMode, logsMode);
    const target = which === 'dir' ? w.paths.dir : w.paths.logsDir;
    const mode = (which === 'dir' ? dirMode : logsMode).toString(8).padStart(4, '0');
    const err = claimError(w.paths);
    assertRefused(err, new RegExp(`${target} is writable by group or others \\(mode ${mode}\\).*chmod 700 ${target}`));
    assert.equal(existsSync(w.paths.pidFile), false, 'nothing was written');
    assert.equal(modeOf(target), which === 'dir' ? dirMode : logsMode, 'the mode was left for the owner to judge');
  }
});

test('a state directory or logs folder owned by another user is refused in one line', (t) => {
  // Only root can give a directory away; elsewhere this one case is skipped (see README).
  if (process.geteuid?.() !== 0) return t.skip('needs root to chown a directory to another uid');
  for (const which of ['dir', 'logs'] as const) {
    const w = world(t);
    const target = which === 'dir' ? w.paths.dir : w.paths.logsDir;
    chownSync(target, 12345, 12345);
    const err = claimError(w.paths);
    assertRefused(
      err,
      new RegExp(`${target} is owned by uid 12345, not by you \\(uid 0\\).*choose another --state-dir`),
    );
    assert.equal(existsSync(w.paths.pidFile), false, 'nothing was written');
  }
});

test('a link where a log or state file should be refuses the claim, and nothing is written through it', (t) => {
  const cases: Array<(p: StatePaths) => string> = [
    (p) => path.join(p.logsDir, 'gateway.log'),
    (p) => path.join(p.logsDir, 'replica-1.log.1'),
    (p) => p.pidFile,
    (p) => p.stateFile,
    (p) => p.sdFile,
    (p) => p.adminSocket,
  ];
  for (const at of cases) {
    const w = world(t);
    const link = at(w.paths);
    symlinkSync(w.outside, link);
    const err = claimError(w.paths);
    assertRefused(
      err,
      new RegExp(`^${link} is a symbolic link, and serve never follows links in its state directory: remove it$`),
    );
    assert.equal(readFileSync(w.outside, 'utf8'), PRECIOUS);
  }
  // logs/ itself as a link to a folder elsewhere.
  const w = world(t);
  const elsewhere = path.join(w.root, 'elsewhere');
  mkdirSync(elsewhere, { mode: 0o700 });
  const moved = statePaths(path.join(w.root, 'state2'));
  mkdirSync(moved.dir, { mode: 0o700 });
  symlinkSync(elsewhere, moved.logsDir);
  assertRefused(claimError(moved), new RegExp(`^${moved.logsDir} is a symbolic link`));
});

/**
 * Links to `outside` at every name a temp file of `target` could have in this process (a dead process
 * that had our pid left them): `.<name>.<pid>.<n>.tmp` for the first n, and the older `<name>.<pid>.tmp`.
 */
function plantTempLinks(target: string, outside: string): string[] {
  const names = [`${target}.${process.pid}.tmp`];
  for (let n = 0; n < 200; n++)
    names.push(path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${n}.tmp`));
  for (const name of names) symlinkSync(outside, name);
  return names;
}

test('leftover temp files that are links are replaced, never written through (pid file and state.json)', (t) => {
  const w = world(t);
  const planted = [...plantTempLinks(w.paths.pidFile, w.outside), ...plantTempLinks(w.paths.stateFile, w.outside)];
  claimStateDir(w.paths);
  t.after(() => releaseStateDir(w.paths));
  writeStateFile(w.paths, stateFile);
  assert.equal(readFileSync(w.outside, 'utf8'), PRECIOUS);
  assert.ok(lstatSync(w.paths.pidFile).isFile());
  assert.ok(lstatSync(w.paths.stateFile).isFile());
  assert.equal(JSON.parse(readFileSync(w.paths.stateFile, 'utf8')).pid, process.pid);
  assert.equal(runningPid(w.paths), process.pid);
  // The claim removed every leftover of a process with our pid.
  assert.deepEqual(
    planted.filter((p) => lstatIfAny(p)),
    [],
  );
});

test('the Prometheus targets file is replaced whole, never written through a link (a leftover temp file, or a link put in its place)', (t) => {
  const w = world(t);
  const warnings: string[] = [];
  const writes = new RetriedWrites(systemClock, (l) => warnings.push(l));
  t.after(() => writes.close());
  const sd = new SdFile(w.paths.sdFile, writes);
  plantTempLinks(w.paths.sdFile, w.outside);
  sd.update({ profile: 'p', gatewayUrl: 'http://127.0.0.1:8000', replicas: [] });
  assert.equal(readFileSync(w.outside, 'utf8'), PRECIOUS);
  assert.ok(lstatSync(w.paths.sdFile).isFile());
  assert.equal(modeOf(w.paths.sdFile), 0o600);
  // A link put where the file is, while the cluster runs: the next change replaces the link itself.
  rmSync(w.paths.sdFile);
  symlinkSync(w.outside, w.paths.sdFile);
  sd.update({
    profile: 'p',
    gatewayUrl: 'http://127.0.0.1:8000',
    replicas: [{ id: 'replica-1', url: 'http://127.0.0.1:9001', ready: true }],
  });
  assert.equal(readFileSync(w.outside, 'utf8'), PRECIOUS);
  assert.ok(lstatSync(w.paths.sdFile).isFile());
  assert.equal((JSON.parse(readFileSync(w.paths.sdFile, 'utf8')) as unknown[]).length, 2);
  assert.deepEqual(warnings, []);
});

test('a log file that became a link is not written through: its lines are dropped with one warning', (t) => {
  const w = world(t);
  const gateway = path.join(w.paths.logsDir, 'gateway.log');
  symlinkSync(w.outside, gateway);
  assert.throws(() => new RotatingLog(gateway), /gateway\.log is a symbolic link/);
  const warnings: string[] = [];
  const files = new LogFiles(w.paths.logsDir, 1024, (m) => warnings.push(m));
  files.write('gateway', 'through the link?');
  files.write('gateway', 'again?');
  files.write('controller', 'still logged');
  files.close();
  assert.equal(readFileSync(w.outside, 'utf8'), PRECIOUS);
  assert.equal(warnings.length, 1, warnings.join(' | '));
  assert.match(warnings[0]!, /gateway.*gateway\.log is a symbolic link/);
  assert.equal(readFileSync(path.join(w.paths.logsDir, 'controller.log'), 'utf8'), 'still logged\n');
});

test('rotation replaces links among the old generations instead of writing through them', (t) => {
  const w = world(t);
  const file = path.join(w.paths.logsDir, 'replica-1.log');
  for (const g of [1, 2, 3]) symlinkSync(w.outside, `${file}.${g}`);
  const log = new RotatingLog(file, 100, 3);
  for (let i = 0; i < 40; i++) log.write(`line ${String(i).padStart(2, '0')} ${'x'.repeat(11)}`);
  log.close();
  assert.equal(readFileSync(w.outside, 'utf8'), PRECIOUS);
  for (const g of [1, 2, 3]) assert.ok(lstatSync(`${file}.${g}`).isFile(), `generation ${g} is a file of ours`);
});

test('--detach refuses an up.log that is a link and starts nothing', (t) => {
  const w = world(t);
  const upLog = path.join(w.paths.logsDir, 'up.log');
  symlinkSync(w.outside, upLog);
  // Were it started, this "controller" would write into whatever up.log points to.
  assert.throws(
    () => DetachedCluster.start('-e', ['process.stdout.write("written through the link\\n")'], w.paths),
    (err: Error) => err.name === 'UserError' && /up\.log is a symbolic link/.test(err.message),
  );
  assert.equal(readFileSync(w.outside, 'utf8'), PRECIOUS);
});

test('--detach checks the state directory before starting anything', (t) => {
  const w = world(t, 0o777);
  assert.throws(
    () => DetachedCluster.start('-e', ['0'], w.paths),
    (err: Error) => err.name === 'UserError' && /is writable by group or others/.test(err.message),
  );
  assert.equal(existsSync(path.join(w.paths.logsDir, 'up.log')), false);
});

test('the admin socket path is cleared without following a link; a directory there is one clear error', async (t) => {
  const w = world(t);
  symlinkSync(w.outside, w.paths.adminSocket);
  const handlers = {
    status: () => assert.fail('unused'),
    scale: async () => ({ from: 0, to: 0, pending: [] }),
    scaleAuto: async () => ({ from: 0, to: 0, pending: [] }),
    down: () => {},
  };
  const close = await startAdminServer(w.paths.adminSocket, handlers);
  await close();
  assert.equal(readFileSync(w.outside, 'utf8'), PRECIOUS);
  const dir = path.join(w.root, 'sockdir');
  mkdirSync(dir);
  await assert.rejects(
    startAdminServer(dir, handlers),
    (err: Error) => err.name === 'UserError' && /sockdir is a directory/.test(err.message),
  );
});
