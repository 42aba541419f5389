// The pure parts of SSH children that outlive the controller (issue 26): the detached wrapper, run
// by a real sh here (no ssh: the host's login shell would run the same line), its start line, and
// the arguments of a socket forward over the master.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { forwardArgs } from '../../src/cluster/hosts/ssh-forward.js';
import {
  detachedRemoteCommand,
  parseDetachedStart,
  RUN_DIR_REFUSED,
} from '../../src/cluster/launchers/remote-detached.js';
import { isAlive, readStartTicks } from '../../src/common/process.js';

// A stand-in child: reads its settings line from stdin, writes it to its log (stdout), listens on
// the socket it is given, and says each connection its pid; exits on SIGTERM.
const CHILD = [
  "const net=require('net');const s=process.argv[process.argv.indexOf('--control-socket')+1];",
  "process.stdin.once('data',d=>console.log('settings '+String(d).trim()+' FOO='+process.env.FOO));",
  "net.createServer(c=>c.end(JSON.stringify({pid:process.pid})+'\\n')).listen(s);",
  "process.on('SIGTERM',()=>process.exit(0));",
].join('');

function runWrapper(home: string, runKey = 'k1') {
  const cmd = detachedRemoteCommand({
    workdir: '/tmp',
    env: { FOO: 'bar baz' },
    command: process.execPath,
    args: ['-e', CHILD, '--'],
    detached: { runKey, id: 'replica-2' },
    random: 'abcd0123',
  });
  // A group of its own, as sshd gives a session: the end of the session kills the group.
  const sh = spawn('/bin/sh', ['-c', cmd], {
    env: { PATH: process.env.PATH, HOME: home },
    stdio: 'pipe',
    detached: true,
  });
  const marks: string[] = [];
  const started = new Promise<string>((resolve) =>
    createInterface({ input: sh.stderr }).on('line', (l) => {
      marks.push(l);
      if (l.includes('socket=')) resolve(l);
    }),
  );
  const exited = new Promise<number | null>((r) => sh.on('close', (code) => r(code)));
  return { sh, marks, started, exited };
}

const waitFor = async (what: string, fn: () => boolean, ms = 3000) => {
  for (let t = 0; t < ms; t += 20) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
};

test('the detached wrapper starts the child in its own session with a socket and log in a 0700 run dir; it outlives the session', async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'detached-'));
  let pid: number | undefined;
  t.after(() => {
    if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });
  const w = runWrapper(home);
  w.sh.stdin.write('{"type":"settings"}\n');
  const start = parseDetachedStart(await w.started);
  const dir = path.join(home, '.serve', 'run', 'k1');
  assert.deepEqual(start && { ...start, startTicks: undefined }, {
    pid: start?.pid,
    startTicks: undefined,
    socket: path.join(dir, 'replica-2.abcd0123.sock'),
  });
  pid = start!.pid;
  assert.equal(start!.startTicks, readStartTicks(pid), 'its start time, as /proc says it');
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  // Its own session and process group (setsid): a group kill there reaches it and nothing else.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const [pgrp, sid] = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .slice(2, 4)
    .map(Number);
  assert.deepEqual([pgrp, sid], [pid, pid]);
  await waitFor('its socket', () => {
    try {
      return statSync(start!.socket).isSocket();
    } catch {
      return false;
    }
  });
  const log = path.join(dir, 'replica-2.log');
  await waitFor("its log followed on the session's stderr", () => w.marks.some((l) => l.startsWith('settings {')));
  await waitFor('its settings in its log', () => {
    try {
      return readFileSync(log, 'utf8').includes('settings {"type":"settings"} FOO=bar baz');
    } catch {
      return false;
    }
  });
  // The session ends (the controller died): the wrapper's stdin closes and it is killed; the child serves on.
  w.sh.stdin.end();
  process.kill(-w.sh.pid!, 'SIGKILL');
  await w.exited;
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(isAlive(pid), 'the child outlives its session');
  const hello = await new Promise<string>((resolve, reject) => {
    const c = net.connect(start!.socket);
    c.on('data', (d) => resolve(String(d).trim()));
    c.on('error', reject);
  });
  assert.deepEqual(JSON.parse(hello), { pid });
});

test('while the session lasts the wrapper reports the exit status, also after a group SIGTERM', async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'detached-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const w = runWrapper(home);
  w.sh.stdin.write('{}\n');
  const start = parseDetachedStart(await w.started)!;
  await waitFor('its socket', () => {
    try {
      return statSync(start.socket).isSocket();
    } catch {
      return false;
    }
  });
  process.kill(-start.pid, 'SIGTERM');
  assert.equal(await w.exited, 0);
  assert.ok(w.marks.includes('@serve-remote exit=0'), w.marks.join('\n'));
});

test('a run directory that is a link is refused (exit 96); bad keys and ids never reach the shell', async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'detached-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  mkdirSync(path.join(home, '.serve', 'run'), { recursive: true });
  mkdirSync(path.join(home, 'elsewhere'));
  symlinkSync(path.join(home, 'elsewhere'), path.join(home, '.serve', 'run', 'k1'));
  const w = runWrapper(home);
  w.sh.stdin.end();
  assert.equal(await w.exited, RUN_DIR_REFUSED);
  assert.deepEqual(w.marks, [`@serve-remote exit=${RUN_DIR_REFUSED}`]);
  const base = { workdir: '/tmp', command: 'node', args: [] };
  assert.throws(() => detachedRemoteCommand({ ...base, detached: { runKey: '../x', id: 'replica-1' } }), /run key/);
  assert.throws(() => detachedRemoteCommand({ ...base, detached: { runKey: 'k', id: 'a b' } }), /child id/);
});

test('the start line: pid, start time and socket; anything else is not one', () => {
  assert.deepEqual(parseDetachedStart('@serve-remote pid=12 start=345 socket=/root/.serve/run/k/r.ab.sock'), {
    pid: 12,
    startTicks: 345,
    socket: '/root/.serve/run/k/r.ab.sock',
  });
  assert.equal(parseDetachedStart('@serve-remote pid=12 start=0 socket=/x/r.sock')?.startTicks, undefined);
  for (const l of [
    '@serve-remote pid=12',
    '@serve-remote exit=0',
    'pid=1 start=2 socket=/a.sock',
    '@serve-remote pid=1 start=2 socket=rel.sock',
  ])
    assert.equal(parseDetachedStart(l), undefined, l);
});

test('a forward over the master: ClearAllForwardings=no first, -O and -L before the destination', () => {
  const session = ['-o', 'ClearAllForwardings=yes', '-o', 'ControlPath=/s/ssh/ab', '--', 'ssh://root@h:22'];
  assert.deepEqual(forwardArgs(session, 'forward', '/st/run/r.sock', '/root/.serve/run/k/r.sock'), [
    '-o',
    'ClearAllForwardings=no',
    '-o',
    'ClearAllForwardings=yes',
    '-o',
    'ControlPath=/s/ssh/ab',
    '-O',
    'forward',
    '-L',
    '/st/run/r.sock:/root/.serve/run/k/r.sock',
    '--',
    'ssh://root@h:22',
  ]);
  assert.throws(() => forwardArgs(session, 'cancel', 'rel.sock', '/x.sock'), /bad socket path/);
  assert.throws(() => forwardArgs(session, 'cancel', '/a:b.sock', '/x.sock'), /bad socket path/);
  assert.throws(() => forwardArgs(['-o', 'x'], 'forward', '/a.sock', '/b.sock'), /must end with/);
});
