// `serve replica` as a real child process: the listening and ready events, JSON logs, a SIGTERM
// drain that still answers queued work and exits 0, --exit-with-parent, and a clear startup error.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cliEntry } from '../helpers/paths.js';
import { demoRegistry, inferJson, jsonBody, randomRows } from './helpers.js';

interface Child {
  proc: ChildProcess;
  events: Array<Record<string, any>>;
  stderr: string[];
  exit: Promise<number | null>;
}

function spawnReplica(t: TestContext, args: string[]): Child {
  const proc = spawn(process.execPath, [cliEntry, 'replica', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: Array<Record<string, any>> = [];
  const stderr: string[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => events.push(JSON.parse(l)));
  createInterface({ input: proc.stderr! }).on('line', (l) => stderr.push(l));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return { proc, events, stderr, exit };
}

async function waitFor<T>(what: string, get: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const exitWithin = (child: Child, ms: number) =>
  Promise.race([child.exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);

test('prints listening then ready; SIGTERM drains queued work, refuses new work, exits 0', async (t) => {
  const reg = await demoRegistry(t);
  const child = spawnReplica(t, [
    '--model',
    'cnn-lstm@1',
    '--registry',
    reg,
    '--port',
    '0',
    '--batch-wait-ms',
    '5000',
    '--batching-mode',
    'fixed',
    '--replica-id',
    'r1',
  ]);
  const listening = await waitFor('listening', () => child.events.find((e) => e.event === 'listening'));
  assert.equal(child.events[0], listening, 'listening is the first event');
  assert.equal(listening.host, '127.0.0.1');
  assert.ok(listening.port > 0);
  assert.equal(listening.url, `http://127.0.0.1:${listening.port}`);
  const ready = await waitFor('ready', () => child.events.find((e) => e.event === 'ready'));
  assert.equal(ready.device, 'cpu');
  assert.ok(ready.loadMs >= 0);

  const body = jsonBody(randomRows(1, 9), 1);
  const queued = [inferJson(listening.url, body), inferJson(listening.url, body)];
  // A third request is still sending its body when SIGTERM arrives: in flight, not yet queued.
  const bytes = Buffer.from(body);
  const slow = http.request(`${listening.url}/v2/models/cnn-lstm/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': bytes.length },
  });
  const slowResponse = new Promise<number>((resolve, reject) => {
    slow.on('response', (res) => (res.resume(), res.on('end', () => resolve(res.statusCode!))));
    slow.on('error', reject);
  });
  slow.write(bytes.subarray(0, 64));
  let depth = 0;
  let inFlight = 0;
  const end = Date.now() + 10_000;
  while ((depth < 2 || inFlight < 3) && Date.now() < end) {
    const text = await (await fetch(`${listening.url}/metrics`)).text();
    depth = Number(/^serve_replica_queue_depth\{[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0);
    inFlight = Number(/^serve_replica_in_flight\{[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0);
  }
  assert.deepEqual([depth, inFlight], [2, 3], 'two requests queued and one more in flight before SIGTERM');
  const killedAt = Date.now();
  child.proc.kill('SIGTERM');
  await waitFor('draining', () => child.events.find((e) => e.event === 'draining'));
  // The drain does not wait out --batch-wait: the queued requests run at once.
  for (const res of await Promise.all(queued)) {
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-serve-replica'), 'r1');
  }
  assert.ok(Date.now() - killedAt < 4000, 'queued requests ran at once on drain, not after --batch-wait 5s');
  const readyWhileDraining = await fetch(`${listening.url}/v2/health/ready`);
  assert.equal(readyWhileDraining.status, 503);
  const refused = await inferJson(listening.url, body);
  assert.equal(refused.status, 503);
  assert.match(refused.json.error, /replica is draining/);
  slow.end(bytes.subarray(64));
  assert.equal(await slowResponse, 200);
  assert.equal(await exitWithin(child, 15_000), 0);
  for (const line of child.stderr) assert.doesNotThrow(() => JSON.parse(line), `stderr line is not JSON: ${line}`);
  assert.ok(child.stderr.some((l) => JSON.parse(l).msg === 'stopping on SIGTERM'));
});

test('a dead controller (stdin EOF and a broken stdout pipe at once) starts a drain: queued requests are answered, exit 0', async (t) => {
  const reg = await demoRegistry(t);
  const child = spawnReplica(t, [
    '--model',
    'cnn-lstm@1',
    '--registry',
    reg,
    '--batch-wait-ms',
    '3000',
    '--batching-mode',
    'fixed',
    '--exit-with-parent',
  ]);
  const listening = await waitFor('listening', () => child.events.find((e) => e.event === 'listening'));
  await waitFor('ready', () => child.events.find((e) => e.event === 'ready'));
  const body = jsonBody(randomRows(1, 5), 1);
  const queued = [inferJson(listening.url, body), inferJson(listening.url, body), inferJson(listening.url, body)];
  const end = Date.now() + 10_000;
  let depth = 0;
  while (depth < 3 && Date.now() < end) {
    const text = await (await fetch(`${listening.url}/metrics`)).text();
    depth = Number(/^serve_replica_queue_depth\{[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0);
  }
  assert.equal(depth, 3, 'three requests wait for their batch when the controller dies');
  // What kill -9 of the controller does to the pipes: its ends of stdout and stdin close.
  child.proc.stdout!.destroy();
  child.proc.stdin!.end();
  for (const res of await Promise.all(queued)) assert.equal(res.status, 200);
  assert.equal(await exitWithin(child, 15_000), 0);
});

test('--exit-with-parent exits when stdin closes', async (t) => {
  const reg = await demoRegistry(t);
  const child = spawnReplica(t, ['--model', 'cnn-lstm', '--registry', reg, '--exit-with-parent']);
  await waitFor('ready', () => child.events.find((e) => e.event === 'ready'));
  child.proc.stdin!.end();
  assert.equal(await exitWithin(child, 15_000), 0);
});

test('an unknown model is one clear error, a fatal event and exit code 2', async (t) => {
  const reg = await demoRegistry(t);
  const child = spawnReplica(t, ['--model', 'nope@1', '--registry', reg]);
  assert.equal(await exitWithin(child, 15_000), 2);
  assert.deepEqual(
    child.events.map((e) => e.event),
    ['fatal'],
  );
  assert.match(child.events[0]!.error, /model "nope" is not in registry/);
  assert.ok(
    child.stderr.some((l) => /^serve: error: model "nope" is not in registry .*known models: cnn-lstm/.test(l)),
  );
});

test('a corrupt model.onnx: listening, then a fatal event and exit code 2', async (t) => {
  const reg = await demoRegistry(t);
  await writeFile(path.join(reg, 'cnn-lstm', '1', 'model.onnx'), 'not an onnx file');
  const child = spawnReplica(t, ['--model', 'cnn-lstm', '--registry', reg]);
  assert.equal(await exitWithin(child, 15_000), 2);
  assert.deepEqual(
    child.events.map((e) => e.event),
    ['listening', 'fatal'],
  );
  assert.ok(
    child.stderr.some((l) => /^serve: error: model cnn-lstm could not be loaded/.test(l)),
    child.stderr.join('\n'),
  );
});

test('a drain that outlasts --drain-timeout (a client that never finishes its body) exits 1 soon after', async (t) => {
  const reg = await demoRegistry(t);
  const child = spawnReplica(t, [
    '--model',
    'cnn-lstm@1',
    '--registry',
    reg,
    '--port',
    '0',
    '--drain-timeout-ms',
    '500',
  ]);
  const listening = await waitFor('listening', () => child.events.find((e) => e.event === 'listening'));
  await waitFor('ready', () => child.events.find((e) => e.event === 'ready'));
  const stuck = http.request(`${listening.url}/v2/models/cnn-lstm/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': 100_000 },
  });
  stuck.on('error', () => undefined);
  stuck.write('{"inputs":[');
  t.after(() => stuck.destroy());
  await new Promise((r) => setTimeout(r, 200));
  const startMs = Date.now();
  child.proc.kill('SIGTERM');
  const code = await exitWithin(child, 15_000);
  assert.equal(code, 1, 'exit 1: work was left outstanding');
  assert.ok(Date.now() - startMs < 10_000, `took ${Date.now() - startMs} ms to leave`);
  assert.ok(child.stderr.some((l) => /drain did not finish within 500ms/.test(l)));
});

test('a --replica-id that cannot go into a header is refused at startup with exit 2', async (t) => {
  const reg = await demoRegistry(t);
  const child = spawnReplica(t, ['--model', 'cnn-lstm@1', '--registry', reg, '--port', '0', '--replica-id', 'r中']);
  assert.equal(await exitWithin(child, 20_000), 2);
  assert.ok(
    child.stderr.some((l) => /--replica-id "r中" may only use letters/.test(l)),
    child.stderr.join('\n'),
  );
  assert.ok(!child.stderr.some((l) => /\n\s+at /.test(l)), 'no stack trace');
});
