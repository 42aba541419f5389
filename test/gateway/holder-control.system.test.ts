// `serve gateway --hold --control-socket --orphan-timeout` as the controller starts it: the holder owns
// the socket (hello: role gateway, its own pid, the serving process's pid, the address); after the
// controller's pipes close it serves on, relays a replica set written on the socket to its serving
// process (applied comes back on the socket, requests reach the new replica), and once no controller
// has been connected for the orphan timeout (a connected one keeps it) it drains and exits 0,
// removing the socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connectControl } from '../helpers/control-client.js';
import { cliEntry } from '../helpers/paths.js';
import { fakesFor, inferBody, inferPath, jsonHeaders } from './client.js';

const ORPHAN_MS = 1500;

test('the holder relays control lines from its socket, says servingPid in hello, and exits after the orphan timeout', async (t) => {
  const [r0, r1] = await fakesFor(t, { kind: 'ok', delayMs: 1 }, { kind: 'ok', delayMs: 1 });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-ctl-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sockPath = path.join(dir, 'gateway.sock');
  const args = ['gateway', '--hold', '--settings-stdin', '--exit-with-parent', '--control-socket', sockPath];
  const proc = spawn(process.execPath, [cliEntry, ...args, '--orphan-timeout', String(ORPHAN_MS)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  proc.stdout.resume();
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  // The socket listens before the settings are read: connected first, this controller sees every event.
  const first = await connectControl(t, sockPath);
  proc.stdin.write(JSON.stringify({ type: 'settings', settings: { host: '127.0.0.1', port: 0 } }) + '\n');
  proc.stdin.write(JSON.stringify({ type: 'replicas', replicas: [{ id: 'r0', url: r0!.url, ready: true }] }) + '\n');
  const serving = await first.line((l) => l.event === 'serving');
  const { url } = await first.line((l) => l.event === 'listening');
  assert.notEqual(serving.pid, proc.pid, 'a serving process of its own serves');

  // The controller dies: its pipes close and its connection goes.
  proc.stdin.end();
  proc.stdout.destroy();
  first.sock.destroy();
  await waitFor(() => /the controller's pipe closed/.test(stderr), `the log line (stderr: ${stderr})`);
  const second = await connectControl(t, sockPath);
  const hello = await second.line((l) => l.event === 'hello');
  assert.deepEqual(hello, {
    event: 'hello',
    role: 'gateway',
    pid: proc.pid,
    listening: { host: '127.0.0.1', port: Number(new URL(url).port), url },
    ready: {},
    draining: false,
    servingPid: serving.pid,
  });
  // A new replica set written on the socket reaches the serving process.
  second.send({ type: 'replicas', replicas: [{ id: 'r1', url: r1!.url, ready: true }], seq: 5 });
  assert.equal((await second.line((l) => l.event === 'applied')).seq, 5);
  const res = await fetch(url + inferPath, { method: 'POST', headers: jsonHeaders, body: inferBody(1) });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-serve-replica'), 'r1', 'routed by the set from the socket');
  await res.body?.cancel();

  // A connected controller keeps it alive past the timeout, counted from stdin's close.
  await new Promise((r) => setTimeout(r, ORPHAN_MS + 300));
  assert.equal(proc.exitCode, null, 'a connected controller keeps it serving');
  assert.equal(second.lines.filter((l) => l.event === 'draining').length, 0);
  // Alone: no controller connected, stdin closed. It must wait the timeout, then drain and exit 0.
  const aloneAt = Date.now();
  second.sock.destroy();
  await new Promise((r) => setTimeout(r, ORPHAN_MS - 500));
  assert.equal(proc.exitCode, null, 'still serving before the orphan timeout');
  assert.equal(await exited, 0);
  const tookMs = Date.now() - aloneAt;
  assert.ok(tookMs >= ORPHAN_MS, `exited ${tookMs} ms after the last controller left`);
  assert.match(stderr, /stopping on no controller for 1500ms/);
  assert.equal(existsSync(sockPath), false, 'the socket file is removed');
  t.diagnostic(`orphaned holder exited ${tookMs} ms after the last controller left (timeout ${ORPHAN_MS} ms)`);
});

async function waitFor(ok: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
