// The replicas a dead controller left on SSH hosts, looked at and stopped with what its journal
// recorded (issue 26), without any network: the pure parts (the plan, the answers, the hand-stop
// line), the script itself run by /bin/sh here against real detached processes, and the ssh shell
// with a stand-in `ssh` on PATH (one that runs the command here, one that cannot connect).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  lookCommand,
  parseOrphanLines,
  stopCommand,
  stopScriptMs,
  KILL_WAIT_MS,
} from '../../src/cluster/hosts/orphan-script.js';
import {
  handStopCommand,
  lookAtRemoteOrphans,
  planHost,
  stopRemoteOrphans,
  withRemoteLook,
} from '../../src/cluster/hosts/orphan-ssh.js';
import { SshConnection } from '../../src/cluster/hosts/ssh-connection.js';
import type { SshConnectionOptions } from '../../src/cluster/hosts/ssh-connection.js';
import { controllerDeath, childLine, type ControllerDeath } from '../../src/common/controller-death.js';
import type { JournalSshHost } from '../../src/common/controller-journal.js';
import { isAlive, readStartTicks } from '../../src/common/process.js';
import { statePaths } from '../../src/common/state-layout.js';
import { renderDeath } from '../../src/cli/status/death.js';

const reach: JournalSshHost = {
  destination: 'gpu-a',
  user: 'ops',
  hostname: '10.0.0.5',
  port: 2222,
  args: ['-o', 'BatchMode=yes', '--', 'gpu-a'],
  connectTimeoutMs: 1000,
};

function death(children: ControllerDeath['children'], sshHosts?: ControllerDeath['sshHosts']): ControllerDeath {
  return {
    pid: 4242,
    profile: 'p',
    startedAt: '2026-12-07T12:00:00.000Z',
    lastAliveAt: '2026-12-07T12:30:05.000Z',
    children,
    ...(sshHosts ? { sshHosts } : {}),
    removed: [],
  };
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-orphans-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A detached process (it leads its own group); `ignoreTerm`: a shell that ignores SIGTERM, with a child in its group. */
async function orphan(t: { after(fn: () => void): void }, ignoreTerm = false): Promise<ChildProcess> {
  const c = ignoreTerm
    ? spawn('/bin/sh', ['-c', 'trap "" TERM; sleep 30 & wait; sleep 30'], { detached: true, stdio: 'ignore' })
    : spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  t.after(() => {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  });
  await new Promise((r) => setTimeout(r, 100));
  return c;
}

test('the plan: no SSH settings in the journal (an older serve) or no start time: not tried, and why', () => {
  const c = (id: string, startTicks?: number) => ({
    id,
    pid: 40,
    host: 'gpu-a',
    state: 'unknown' as const,
    ...(startTicks ? { startTicks } : {}),
  });
  const none = planHost('gpu-a', [c('replica-1', 9)], undefined);
  assert.deepEqual(none.asked, []);
  assert.match(none.notTried[0]!.why!, /journal has no SSH settings for gpu-a/);
  // Args that do not end with "--" and the destination are not run.
  assert.equal(planHost('gpu-a', [c('replica-1', 9)], { ...reach, args: ['-oProxyCommand=x'] }).asked.length, 0);
  const some = planHost('gpu-a', [c('replica-1', 9), c('replica-2')], reach);
  assert.deepEqual(
    some.asked.map((x) => x.id),
    ['replica-1'],
  );
  assert.deepEqual(
    some.notTried.map((x) => [x.id, x.fate]),
    [['replica-2', 'not-tried']],
  );
  assert.match(some.notTried[0]!.why!, /start time there was not recorded/);
});

test('the answers: one line per child by its index, anything else ignored; the hand-stop line', () => {
  const out =
    'motd\n@serve-orphan 1 killed\n@serve-orphan 0 stopped\n@serve-orphan 0 gone\n@serve-orphan 7 left\n@serve-orphan 2 exploded\n';
  assert.deepEqual(parseOrphanLines(out, 3), ['stopped', 'killed', undefined]);
  assert.equal(handStopCommand(reach, 'gpu-a', 40), 'ssh -p 2222 ops@10.0.0.5 kill 40');
  assert.equal(handStopCommand({ ...reach, port: 22, user: '' }, 'gpu-a', 40), 'ssh 10.0.0.5 kill 40');
  assert.equal(handStopCommand(undefined, 'gpu-a', 40), 'ssh gpu-a kill 40');
  assert.throws(() => stopCommand([{ pid: 1, startTicks: 5 }], 1000), /bad pid/);
  assert.throws(() => lookCommand([{ pid: 40, startTicks: Number.NaN }]), /bad pid/);
  assert.equal(stopScriptMs(5000), 5000 + KILL_WAIT_MS);
});

test('what the hosts said goes into the death: alive is running, gone exited, not reached unknown with why', () => {
  const d = death([
    { id: 'gateway', pid: 10, state: 'running' },
    { id: 'replica-1', pid: 40, host: 'gpu-a', state: 'unknown', startTicks: 9 },
    { id: 'replica-2', pid: 41, host: 'gpu-a', state: 'unknown', startTicks: 9 },
    { id: 'replica-3', pid: 42, host: 'gpu-b', state: 'unknown', startTicks: 9 },
  ]);
  const looked = withRemoteLook(d, [
    { id: 'replica-1', pid: 40, host: 'gpu-a', fate: 'alive' },
    { id: 'replica-2', pid: 41, host: 'gpu-a', fate: 'gone' },
    { id: 'replica-3', pid: 42, host: 'gpu-b', fate: 'unreachable', why: 'gpu-b could not be reached: refused' },
  ]);
  assert.deepEqual(
    looked.children.map((c) => childLine(c)),
    [
      'gateway pid 10: still running',
      'replica-1 pid 40 on gpu-a: still running',
      'replica-2 pid 41 on gpu-a: exited',
      'replica-3 pid 42 on gpu-b: not known (gpu-b could not be reached: refused)',
    ],
  );
  // A replica its host says runs is asked for readiness at its URL; the status says where it runs.
  const text = renderDeath({ ...looked, children: looked.children.slice(1) }, '/srv/.serve', {
    serving: false,
    children: [{ id: 'replica-1', pid: 40, url: 'http://10.0.0.5:9001', answer: 'ready', status: 200 }],
  });
  assert.match(text, /\n {2}replica-1 pid 40 on gpu-a at http:\/\/10\.0\.0\.5:9001: serving \(ready\)\n/);
  assert.match(text, /Re-adopt it with `serve up/);
});

test('the script, run by /bin/sh here: looks, then SIGTERM, SIGKILL after the grace, sockets removed; a reused pid is left alone', async (t) => {
  const dir = tempDir(t);
  const plain = await orphan(t);
  const stubborn = await orphan(t, true);
  // A socket name no shell may read as code.
  const sock = path.join(dir, `it's $(touch pwned) "x".sock`);
  writeFileSync(sock, '');
  const list = [
    { pid: plain.pid!, startTicks: readStartTicks(plain.pid!)!, socket: sock },
    { pid: stubborn.pid!, startTicks: readStartTicks(stubborn.pid!)! },
    // This test's own pid with another start time: a later process that got the pid.
    { pid: process.pid, startTicks: readStartTicks(process.pid)! + 1 },
    { pid: 4_000_000, startTicks: 5 },
  ];
  const look = execFileSync('/bin/sh', ['-c', lookCommand(list)], { encoding: 'utf8', cwd: dir });
  assert.deepEqual(parseOrphanLines(look, 4), ['alive', 'alive', 'gone', 'gone']);
  const started = Date.now();
  const out = execFileSync('/bin/sh', ['-c', stopCommand(list, 600)], { encoding: 'utf8', cwd: dir });
  const tookMs = Date.now() - started;
  assert.deepEqual(parseOrphanLines(out, 4), ['stopped', 'killed', 'gone', 'gone'], out);
  assert.ok(tookMs >= 600 && tookMs < 600 + KILL_WAIT_MS, `${tookMs} ms`);
  assert.ok(!existsSync(sock), 'its socket is removed');
  assert.ok(!existsSync(path.join(dir, 'pwned')), 'nothing in a path runs');
  for (const pid of [plain.pid!, stubborn.pid!]) assert.ok(!isAlive(pid), `pid ${pid} is gone`);
});

test('over a stand-in ssh: stopped there once, or one host not reached and said so; an older journal is not tried', async (t) => {
  const dir = tempDir(t);
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  // Runs the remote command here (the last argument), as the login shell there would; or fails as ssh does.
  writeFileSync(
    path.join(bin, 'ssh'),
    '#!/bin/sh\nfor a; do last=$a; done\ncase "$*" in *unreachable*) echo "ssh: connect to host x port 22: ' +
      'Connection refused" >&2; exit 255;; esac\nexec /bin/sh -c "$last"\n',
  );
  chmodSync(path.join(bin, 'ssh'), 0o755);
  const savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath}`;
  t.after(() => (process.env.PATH = savedPath));
  const a = await orphan(t);
  const b = await orphan(t);
  const child = (id: string, pid: number, host: string) => ({
    id,
    pid,
    host,
    state: 'unknown' as const,
    startTicks: readStartTicks(pid)!,
  });
  const d = death([child('replica-1', a.pid!, 'gpu-a'), child('replica-2', b.pid!, 'gpu-b')], {
    'gpu-a': reach,
    'gpu-b': { ...reach, destination: 'unreachable', args: ['--', 'unreachable'] },
  });
  const looked = await lookAtRemoteOrphans(d);
  assert.deepEqual(
    looked.map((f) => [f.id, f.fate]),
    [
      ['replica-1', 'alive'],
      ['replica-2', 'unreachable'],
    ],
  );
  assert.match(looked[1]!.why!, /^gpu-b could not be reached: ssh: connect to host x port 22: Connection refused$/);
  const stopped = await stopRemoteOrphans(d, 500);
  assert.deepEqual(
    stopped.map((f) => [f.id, f.fate]),
    [
      ['replica-1', 'stopped'],
      ['replica-2', 'unreachable'],
    ],
  );
  assert.ok(!isAlive(a.pid!) && isAlive(b.pid!), 'only the reached host stopped its child');

  // A journal from before sshHosts: it still loads, and nothing is run for its remote children.
  const paths = statePaths(path.join(dir, 'state'));
  mkdirSync(paths.dir);
  writeFileSync(
    paths.journalFile,
    JSON.stringify({
      version: 1,
      pid: 4_000_000,
      startedAt: '2026-12-07T12:00:00.000Z',
      profile: 'p',
      children: [{ id: 'replica-2', pid: b.pid, host: 'gpu-a', startTicks: readStartTicks(b.pid!) }],
    }),
  );
  const old = controllerDeath(paths, false)!;
  assert.equal(old.sshHosts, undefined);
  const fates = await stopRemoteOrphans(old, 500);
  assert.deepEqual(
    fates.map((f) => [f.id, f.fate]),
    [['replica-2', 'not-tried']],
  );
  assert.ok(isAlive(b.pid!), 'not signalled');
});

test('a connection says how to reach its host again: one-shot options, no shared socket, the destination last', () => {
  const conn = new SshConnection({
    hostName: 'gpu-a',
    target: { destination: 'gpu-a', hostname: '10.0.0.5', port: 2222, user: 'ops' },
    config: {
      knownHostsFile: '/k/known_hosts',
      identityFile: '/k/id_ed25519',
      configFile: 'none',
      connectTimeoutMs: 3000,
      keepaliveMs: 1000,
      keepaliveCount: 2,
    },
    controlPath: '/state/ssh/abc',
  } as unknown as SshConnectionOptions);
  const r = conn.reachAgain();
  assert.deepEqual(
    { ...r, args: undefined },
    { destination: 'gpu-a', user: 'ops', hostname: '10.0.0.5', port: 2222, connectTimeoutMs: 3000, args: undefined },
  );
  assert.deepEqual(r.args.slice(-2), ['--', 'gpu-a']);
  assert.deepEqual(r.args.slice(0, 2), ['-F', 'none']);
  for (const o of ['BatchMode=yes', 'UserKnownHostsFile=/k/known_hosts', 'ControlPath=none', 'ConnectTimeout=3'])
    assert.ok(r.args.includes(o), o);
  assert.ok(r.args.includes('/k/id_ed25519'));
  assert.ok(!r.args.some((a) => a.includes('/state/ssh/abc')), 'not the dead master');
});
