// The controller's end of a child's control socket, on a real unix socket in a temp folder: the hello
// first, the events after it (none lost while nobody listens yet), control lines to the child, and
// each way a connection is refused (no hello in time, a first line that is not one, nothing there);
// socket paths that fit sun_path, and run/ made private.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  controlSocketPath,
  helloEvents,
  openControl,
  parseHello,
  prepareRunDir,
  type Hello,
} from '../../src/cluster/launchers/control-socket.js';
import type { ProcessEvent } from '../../src/common/wire.js';

const hello: Hello = {
  role: 'replica',
  pid: 4242,
  listening: { host: '127.0.0.1', port: 5000, url: 'http://127.0.0.1:5000' },
  ready: { modelDigest: 'sha256:x' },
  draining: false,
};

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A child's side: on each connection writes `first` lines, and collects what it is sent. */
async function child(file: string, first: string[]): Promise<{ server: net.Server; got: string[] }> {
  const got: string[] = [];
  const server = net.createServer((c) => {
    for (const l of first) c.write(l + '\n');
    createInterface({ input: c }).on('line', (l) => got.push(l));
  });
  await new Promise<void>((r) => server.listen(file, r));
  return { server, got };
}

test('hello first, then events in order (those sent before listen() too), and control lines reach the child', async (t) => {
  const file = path.join(tempDir(t), 'r.sock');
  const ready: ProcessEvent = { event: 'reconfigured', seq: 3 };
  const c = await child(file, [JSON.stringify({ event: 'hello', ...hello }), JSON.stringify(ready)]);
  t.after(() => c.server.close());
  const ch = await openControl(file, 1000);
  assert.deepEqual(ch.hello, hello);
  const events: ProcessEvent[] = [];
  await new Promise((r) => setTimeout(r, 50)); // the event arrives before anyone listens
  ch.listen((e) => events.push(e));
  ch.send('{"type":"replicas","replicas":[],"seq":1}');
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(events, [ready]);
  assert.deepEqual(c.got, ['{"type":"replicas","replicas":[],"seq":1}']);
  ch.close();
  await ch.closed;
});

test('no hello in time, a first line that is not a hello, or no socket: refused', async (t) => {
  const dir = tempDir(t);
  const silent = await child(path.join(dir, 's.sock'), []);
  const wrong = await child(path.join(dir, 'w.sock'), ['{"event":"listening","host":"h","port":1,"url":"u"}']);
  t.after(() => (silent.server.close(), wrong.server.close()));
  await assert.rejects(openControl(path.join(dir, 's.sock'), 100), /no hello within 100ms/);
  await assert.rejects(openControl(path.join(dir, 'w.sock'), 1000), /first line is not a hello/);
  await assert.rejects(openControl(path.join(dir, 'none.sock'), 1000), /ENOENT/);
});

test('a hello stands for the events it summarizes; anything else is not a hello', () => {
  assert.deepEqual(helloEvents({ ...hello, role: 'gateway', servingPid: 7, draining: true }), [
    { event: 'serving', pid: 7 },
    { event: 'listening', ...hello.listening! },
    { event: 'ready', modelDigest: 'sha256:x' },
    { event: 'draining' },
  ]);
  assert.equal(parseHello('{"event":"hello","role":"other","pid":1}'), undefined);
  assert.equal(parseHello('not json'), undefined);
});

test('socket paths fit in 107 bytes (a shorter name where the id does not fit), and run/ is made private', (t) => {
  const dir = tempDir(t);
  assert.match(controlSocketPath(dir, 'replica-1'), /\/replica-1\.[0-9a-f]{8}\.sock$/);
  const deep = path.join(dir, 'x'.repeat(100 - dir.length - 18));
  const p = controlSocketPath(deep, 'replica-12345');
  assert.ok(Buffer.byteLength(p) <= 107 && /\/[0-9a-f]{8}\.sock$/.test(p), p);
  assert.throws(() => controlSocketPath(path.join(dir, 'y'.repeat(120)), 'gateway'), /use a shorter --state-dir/);
  const run = path.join(dir, 'run');
  mkdirSync(run, { mode: 0o755 });
  prepareRunDir(run);
  assert.equal(statSync(run).mode & 0o777, 0o700);
  symlinkSync(dir, path.join(dir, 'link'));
  assert.throws(() => prepareRunDir(path.join(dir, 'link')), /not a directory/);
});
