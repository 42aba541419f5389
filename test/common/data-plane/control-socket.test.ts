// The control socket of a data-plane process on a real unix socket in a temporary folder: hello
// first on each connection, then every event to every client, client lines handed on, mode 0600,
// a stale socket replaced, a live one or another file refused, the file removed on close; the
// orphan timer and the hello snapshot on the manual clock.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../../src/common/clock.js';
import { ControlSocket, HelloState, OrphanTimer } from '../../../src/common/data-plane/control-socket.js';
import { UserError } from '../../../src/common/errors.js';
import type { HelloEvent } from '../../../src/common/wire.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-cs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A client that collects the JSON lines it gets. */
function client(t: TestContext, file: string): { sock: net.Socket; lines: Array<Record<string, unknown>> } {
  const sock = net.connect(file);
  const lines: Array<Record<string, unknown>> = [];
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (c: string) => {
    buf += c;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const p of parts) lines.push(JSON.parse(p) as Record<string, unknown>);
  });
  sock.on('error', () => undefined);
  t.after(() => sock.destroy());
  return { sock, lines };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function listen(t: TestContext, file: string, state = new HelloState('replica')) {
  const got: string[] = [];
  const counts: number[] = [];
  const cs = await ControlSocket.listen({
    path: file,
    log: quiet,
    hello: () => state.hello(),
    onLine: (l) => got.push(l),
    onClients: (n) => counts.push(n),
  });
  t.after(() => cs.close());
  return { cs, got, counts, state };
}

test('each connection gets hello first, then every event; lines from any client are handed on', async (t) => {
  const file = path.join(await tempDir(t), 'c.sock');
  const { cs, got, counts, state } = await listen(t, file);
  assert.equal((await stat(file)).mode & 0o777, 0o600, 'the socket is private to its user');
  state.see({ event: 'listening', host: '127.0.0.1', port: 9, url: 'http://127.0.0.1:9' });
  const a = client(t, file);
  await until('hello on a', () => a.lines.length === 1);
  assert.deepEqual(a.lines[0], {
    event: 'hello',
    role: 'replica',
    pid: process.pid,
    listening: { host: '127.0.0.1', port: 9, url: 'http://127.0.0.1:9' },
    ready: null,
    draining: false,
  });
  const ready = { event: 'ready', loadMs: 5, device: 'cpu', modelDigest: 'sha256:x' } as const;
  state.see(ready);
  cs.send(ready);
  await until('ready on a', () => a.lines.length === 2);
  assert.deepEqual(a.lines[1], ready);
  // A second client gets the snapshot (ready now), not a replay of what a had.
  const b = client(t, file);
  await until('hello on b', () => b.lines.length === 1);
  assert.deepEqual((b.lines[0] as unknown as HelloEvent).ready, { loadMs: 5, device: 'cpu', modelDigest: 'sha256:x' });
  assert.equal(cs.clients, 2);
  cs.send({ event: 'draining' });
  await until('draining on both', () => a.lines.length === 3 && b.lines.length === 2);
  a.sock.write('{"type":"drain"}\n{"type":');
  b.sock.write('{"type":"replicas","replicas":[]}\r\n');
  a.sock.write('"x"}\n');
  await until('three lines', () => got.length === 3);
  assert.deepEqual([...got].sort(), ['{"type":"drain"}', '{"type":"replicas","replicas":[]}', '{"type":"x"}']);
  a.sock.destroy();
  await until('a gone', () => cs.clients === 1);
  assert.deepEqual(counts, [1, 2, 1]);
  cs.close();
  assert.equal(existsSync(file), false, 'the socket file is removed on close');
});

test('a stale socket is replaced; a live socket or another file is refused', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'c.sock');
  // A socket file nobody listens on: what a process killed with SIGKILL leaves.
  const script = `require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))`;
  spawnSync(process.execPath, ['-e', script, file]);
  assert.equal((await stat(file)).isSocket(), true, 'a stale socket file is left');
  const { cs } = await listen(t, file);
  const a = client(t, file);
  await until('hello', () => a.lines.length === 1);
  await assert.rejects(
    listen(t, file),
    (err: Error) => err instanceof UserError && /another process listens/.test(err.message),
  );
  // The check's own connection comes and goes; the live socket and its client stay.
  await until('the probe to leave', () => cs.clients === 1);
  assert.equal(a.sock.destroyed, false, 'the live socket was left alone');
  const other = path.join(dir, 'file');
  await writeFile(other, 'x');
  await assert.rejects(listen(t, other), (err: Error) => err instanceof UserError && /not a socket/.test(err.message));
  assert.equal(existsSync(other), true, 'a file that is not a socket is never removed');
});

test('a path that cannot be bound is a UserError naming the flag', async (t) => {
  const file = path.join(await tempDir(t), 'no-such-dir', 'c.sock');
  await assert.rejects(
    listen(t, file),
    (err: Error) => err instanceof UserError && /--control-socket/.test(err.message),
  );
});

test('the orphan timer fires once stdin is closed and no client has been connected for the timeout', () => {
  const clock = new ManualClock();
  let fired = 0;
  const o = new OrphanTimer(clock, 1000, () => fired++);
  clock.advance(5000);
  assert.equal(fired, 0, 'stdin open: the controller is there');
  o.setClients(1);
  o.setStdinClosed();
  clock.advance(5000);
  assert.equal(fired, 0, 'a client is connected');
  o.setClients(0);
  clock.advance(900);
  o.setClients(1); // a new controller connects: the timer starts again when it leaves
  o.setClients(0);
  clock.advance(900);
  assert.equal(fired, 0, 'the connection reset the timer');
  clock.advance(100);
  assert.equal(fired, 1);
  o.setClients(1);
  o.setClients(0);
  clock.advance(5000);
  assert.equal(fired, 1, 'it fires once');
  assert.equal(clock.pendingTimers, 0);
});

test('a stopped orphan timer never fires', () => {
  const clock = new ManualClock();
  let fired = 0;
  const o = new OrphanTimer(clock, 1000, () => fired++);
  o.setStdinClosed();
  o.stop();
  clock.advance(5000);
  assert.equal(fired, 0);
});

test('hello follows the events: serving pid, draining, ready once serving without a ready event', () => {
  const h = new HelloState('gateway');
  assert.deepEqual(h.hello(), {
    event: 'hello',
    role: 'gateway',
    pid: process.pid,
    listening: null,
    ready: null,
    draining: false,
  });
  h.see({ event: 'serving', pid: 42 });
  h.see({ event: 'serving', pid: 43, cause: 'planned' });
  h.see({ event: 'applied', seq: 1 });
  h.markReady();
  h.see({ event: 'draining' });
  assert.deepEqual(h.hello(), {
    event: 'hello',
    role: 'gateway',
    pid: process.pid,
    listening: null,
    ready: {},
    draining: true,
    servingPid: 43,
  });
});

test('a socket file that is no longer its own (its state directory removed) ends the process, once no client is connected', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'c.sock');
  const { cs } = await listen(t, file);
  const clock = new ManualClock();
  let gone = 0;
  const stop = cs.watchFile(clock, 1000, () => gone++);
  t.after(stop);
  clock.advance(5000);
  assert.equal(gone, 0, 'its own file: nothing happens');
  const a = client(t, file);
  await until('the client counted', () => cs.clients === 1);
  await rm(file);
  clock.advance(5000);
  assert.equal(gone, 0, 'a controller is still connected');
  a.sock.destroy();
  await until('the client gone', () => cs.clients === 0);
  // Another file of the same name is not its socket either.
  await writeFile(file, 'x');
  clock.advance(999);
  assert.equal(gone, 0);
  clock.advance(1);
  assert.equal(gone, 1);
  clock.advance(5000);
  assert.equal(gone, 1, 'once');
});
