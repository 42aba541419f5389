// The state directory's ownership (control plane): atomic claims under a race, stale pid files
// (dead, zombie or reused pids), socket path length, and the small file-handling fixes around it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { claimStateDir, releaseStateDir, runningPid, statePaths } from '../../src/cluster/state/state-dir.js';
import { looksLikeController } from '../../src/common/state-layout.js';
import { readStartTicks } from '../../src/cluster/replicas/proc-stats.js';
import { isAlive } from '../../src/common/process.js';
import { startCluster } from '../../src/cluster/controller/controller.js';
import { LogFiles } from '../../src/cluster/state/log-files.js';
import { outputSince } from '../../src/client/up-output.js';
import { detachedFailure } from '../../src/cli/up/detached.js';
import { outDir } from '../helpers/paths.js';
import { fakeCli, killAll, tempWorld, testProfile, waitFor } from './helpers.js';

const claimFixture = path.join(outDir, 'test', 'cluster', 'fixtures', 'claim.js');

/** A live process that has nothing to do with serve (stands in for a reused pid). */
function bystander(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => p.once('exit', r));
  return p.pid!;
}

test('of several processes claiming one state dir at once (over a stale pid file), exactly one wins', async (t) => {
  for (let round = 0; round < 3; round++) {
    const w = tempWorld();
    const kids: ChildProcess[] = [];
    t.after(() => {
      killAll(kids.map((k) => k.pid!));
      w.cleanup();
    });
    mkdirSync(w.stateDir, { recursive: true });
    writeFileSync(statePaths(w.stateDir).pidFile, `${await deadPid()}\n`);
    const out: string[] = [];
    for (let i = 0; i < 6; i++) {
      const k = spawn(process.execPath, [claimFixture, w.stateDir], { stdio: ['pipe', 'pipe', 'inherit'] });
      out.push('');
      k.stdout!.on('data', (c: Buffer) => (out[i] += c.toString('utf8')));
      kids.push(k);
    }
    await waitFor('every claimer to start', () => out.every((o) => o.includes('waiting')), 20_000);
    for (const k of kids) k.stdin!.write('go\n');
    await waitFor('every claimer to answer', () => out.every((o) => /won|lost/.test(o)), 20_000);
    const winners = out.map((o, i) => (o.includes('won') ? i : -1)).filter((i) => i >= 0);
    assert.equal(winners.length, 1, out.join(' | '));
    for (const o of out.filter((x) => !x.includes('won')))
      assert.match(o, /a cluster is already running|another `serve up` is starting/);
    const paths = statePaths(w.stateDir);
    assert.equal(runningPid(paths), kids[winners[0]!]!.pid);
    assert.equal(Number(readFileSync(paths.pidFile, 'utf8').split('\n')[0]), kids[winners[0]!]!.pid);
    for (const k of kids) k.stdin!.end();
  }
});

test('a pid file whose pid now belongs to an unrelated process is stale: not running, and claimable', async (t) => {
  const w = tempWorld();
  const other = bystander();
  t.after(() => {
    killAll([other.pid!]);
    w.cleanup();
  });
  const paths = statePaths(w.stateDir);
  mkdirSync(w.stateDir, { recursive: true });
  // An old-style pid file (no start time): the command line decides.
  writeFileSync(paths.pidFile, `${other.pid}\n`);
  assert.equal(runningPid(paths), undefined);
  // A pid file with a start time that is not that process's: reused pid.
  writeFileSync(paths.pidFile, `${other.pid}\nstart=1\n`);
  assert.equal(runningPid(paths), undefined);
  claimStateDir(paths);
  assert.equal(runningPid(paths), process.pid);
  releaseStateDir(paths);
  assert.equal(existsSync(paths.pidFile), false);
  assert.equal(other.exitCode, null, 'the unrelated process was left alone');
});

/** The state letter of /proc/<pid>/stat (Z for a zombie), read here on its own. */
function procState(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/**
 * A real zombie: a shell starts `sleep 0.3` in the background, prints its pid and execs
 * `sleep 60`, which never waits for children, so the background sleep stays unreaped once it ends.
 */
async function zombie(t: { after(fn: () => void): void }): Promise<number> {
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => killAll([parent.pid!]));
  let out = '';
  parent.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const pid = await waitFor('the background pid', () => (/^\d+\n/.test(out) ? Number(out.trim()) : undefined), 5000);
  await waitFor(`pid ${pid} to become a zombie`, () => procState(pid) === 'Z', 10_000);
  return pid;
}

test('a controller that exited but is not reaped yet (a zombie) is dead: its pid file is taken over', async (t) => {
  if (!existsSync('/proc/self/stat')) return t.skip('needs /proc to make and recognise a zombie');
  const pid = await zombie(t);
  assert.equal(isAlive(pid), false, 'a zombie is not alive');
  const w = tempWorld();
  t.after(() => w.cleanup());
  const paths = statePaths(w.stateDir);
  mkdirSync(w.stateDir, { recursive: true, mode: 0o700 });
  // Exactly what that controller would have written: its pid and its start time.
  writeFileSync(paths.pidFile, `${pid}\nstart=${readStartTicks(pid)}\n`);
  assert.equal(runningPid(paths), undefined, 'status, down and up --detach see nothing running');
  claimStateDir(paths);
  assert.equal(runningPid(paths), process.pid, 'serve up takes the directory over');
  releaseStateDir(paths);
  assert.equal(isAlive(process.pid), true);
  assert.equal(isAlive(0), false, 'pid 0 is a process group, not a process');
});

test('what counts as a controller command line', () => {
  assert.equal(looksLikeController(['/usr/bin/node', '/x/dist/src/cli/main.js', 'up', '--profile', 'local']), true);
  assert.equal(looksLikeController(['node', '/x/bin/serve.js', 'up', '--detached-child']), true);
  assert.equal(looksLikeController(['node', '/usr/local/bin/serve', 'demo']), true);
  assert.equal(looksLikeController(['node', '/x/dist/src/cli/main.js', 'status']), false);
  assert.equal(looksLikeController(['node', '-e', 'setInterval(() => {}, 1000)']), false);
  assert.equal(looksLikeController(['sleep', 'up']), false);
});

test('a state dir too long for a unix socket is one clear error naming --state-dir, and starts nothing', async (t) => {
  const w = tempWorld();
  t.after(() => w.cleanup());
  const long = path.join(w.root, 'd'.repeat(120));
  const started = Date.now();
  const err = await startCluster(testProfile(w.registry), { stateDir: long, cliEntry: fakeCli }).then(
    () => assert.fail('started'),
    (e: Error) => e,
  );
  assert.equal(err.name, 'UserError');
  assert.match(err.message, /^--state-dir .* is too long for the admin socket .*: use a shorter --state-dir/);
  assert.ok(Date.now() - started < 5000, 'failed at once');
  assert.equal(existsSync(long), false, 'nothing was created');
});

test('after close, LogFiles drops lines instead of reopening files', (t) => {
  const w = tempWorld();
  t.after(() => w.cleanup());
  const files = new LogFiles(w.root);
  files.write('controller', 'before');
  files.close();
  files.write('controller', 'after');
  files.write('replica-9', 'after');
  assert.equal(readFileSync(path.join(w.root, 'controller.log'), 'utf8'), 'before\n');
  assert.equal(existsSync(path.join(w.root, 'replica-9.log')), false);
});

test("a --detach failure reports only this run's error and keeps exit code 70", (t) => {
  const w = tempWorld();
  t.after(() => w.cleanup());
  const log = path.join(w.root, 'up.log');
  writeFileSync(log, 'serve: error: an old run failed\n  old detail\n');
  const start = readFileSync(log).length;
  appendFileSync(log, 'some progress\nserve: internal error: boom\n  This is a bug in serve.\n');
  const lines = outputSince(log, start);
  assert.deepEqual(lines, ['some progress', 'serve: internal error: boom', '  This is a bug in serve.']);
  const internal = detachedFailure(70, lines, log);
  assert.equal(internal.exitCode, 70);
  assert.match(internal.message, /internal error: boom/);
  assert.doesNotMatch(internal.message, /old run/);
  const user = detachedFailure(2, ['serve: error: model "x" is not in registry', '  a detail'], log);
  assert.equal(user.message, 'model "x" is not in registry');
  assert.deepEqual(user.details, ['a detail']);
  assert.equal(detachedFailure(3, [], log).exitCode, 3);
  assert.match(detachedFailure(null, [], log).message, /exited \(code null\); see .*up\.log/);
});
