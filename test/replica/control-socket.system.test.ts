// `serve replica --control-socket` started as the controller starts a local replica (settings on stdin,
// --exit-with-parent): a controller connected to the socket gets hello with its pid, then its events;
// when the controller dies (stdin EOF, stdout closed) the replica serves on, a new connection gets
// hello with its ready state, a control line on the socket is answered there, and it removes the
// socket when it stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { connectControl } from '../helpers/control-client.js';
import { cliEntry } from '../helpers/paths.js';
import { demoRegistry, inferJson, jsonBody, randomRows } from './helpers.js';

test('a replica with a control socket outlives its controller: hello again on a new connection, still answers infer', async (t) => {
  const registry = await demoRegistry(t);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-ctl-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sockPath = path.join(dir, 'r1.sock');
  const proc = spawn(
    process.execPath,
    [cliEntry, 'replica', '--replica-id', 'r1', '--settings-stdin', '--exit-with-parent', '--control-socket', sockPath],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  const logs: string[] = [];
  createInterface({ input: proc.stderr }).on('line', (l) => logs.push(l));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  // The socket listens before the settings arrive: the first hello knows nothing yet.
  const first = await connectControl(t, sockPath);
  const hello = await first.line((l) => l.event === 'hello');
  assert.deepEqual(hello, {
    event: 'hello',
    role: 'replica',
    pid: proc.pid,
    listening: null,
    ready: null,
    draining: false,
  });
  const settings = { model: 'cnn-lstm@1', registry, port: 0 };
  proc.stdin.write(JSON.stringify({ type: 'settings', settings }) + '\n');
  const listening = await first.line((l) => l.event === 'listening');
  const ready = await first.line((l) => l.event === 'ready', 20_000);
  assert.equal(ready.device, 'cpu');

  // What kill -9 of the controller does: its pipes close and its connection goes.
  proc.stdin.end();
  proc.stdout.destroy();
  first.sock.destroy();
  await waitForLog(logs, /the controller's pipe closed .* serving on/);
  const body = jsonBody(randomRows(2, 3), 2);
  const answered = await inferJson(listening.url as string, body);
  assert.equal(answered.status, 200, 'it answers with no controller');
  assert.equal(proc.exitCode, null);

  const second = await connectControl(t, sockPath);
  const again = await second.line((l) => l.event === 'hello');
  assert.equal(again.pid, proc.pid);
  assert.deepEqual(again.listening, { host: listening.host, port: listening.port, url: listening.url });
  assert.equal(again.ready.device, 'cpu');
  assert.equal(again.ready.modelDigest, ready.modelDigest);
  assert.equal(again.draining, false);
  assert.equal(second.lines[0], again, 'hello is the first line, and nothing before it is replayed');
  // A control line on the socket is a control line: a batching change, answered on the socket.
  second.send({ type: 'reconfigure', seq: 7, settings: { maxBatchSize: 8 } });
  const done = await second.line((l) => l.event === 'reconfigured');
  assert.equal(done.seq, 7);
  assert.equal(done.error, undefined, JSON.stringify(done));
  assert.equal((await inferJson(listening.url as string, body)).status, 200);

  proc.kill('SIGTERM');
  await second.line((l) => l.event === 'draining');
  assert.equal(await exited, 0);
  assert.equal(existsSync(sockPath), false, 'the socket file is removed when it exits');
});

async function waitForLog(logs: string[], re: RegExp): Promise<void> {
  const end = Date.now() + 10_000;
  while (!logs.some((l) => re.test(l))) {
    if (Date.now() > end) throw new Error(`no log line ${re}: ${logs.join('\n')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a --control-socket path holding another file is fatal: a fatal event, exit 2, the file left alone', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-ctl-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'not-a-socket');
  await writeFile(file, 'keep me');
  const proc = spawn(process.execPath, [cliEntry, 'replica', '--settings-stdin', '--control-socket', file], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  const events: Array<Record<string, unknown>> = [];
  createInterface({ input: proc.stdout }).on('line', (l) => events.push(JSON.parse(l) as Record<string, unknown>));
  // 'close': after its stdout was read to the end.
  const code = await new Promise<number | null>((resolve) => proc.once('close', (c) => resolve(c)));
  assert.equal(code, 2);
  assert.equal(events.length, 1, JSON.stringify(events));
  assert.equal(events[0]!.event, 'fatal');
  assert.match(String(events[0]!.error), /--control-socket .*not a socket/);
  assert.equal(await readFile(file, 'utf8'), 'keep me');
});
