// `serve gateway` as a child process: listening line, stdin control, bad lines, EOF and SIGTERM exits (gateway).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { cliEntry } from '../helpers/paths.js';
import { fakesFor, inferBody, inferPath, jsonHeaders, send, waitFor } from './client.js';

interface Child {
  proc: ChildProcessWithoutNullStreams;
  stdout: string[];
  stderr: () => string;
  exit: Promise<number | null>;
}

function startGatewayChild(t: { after(fn: () => unknown): void }, ...args: string[]): Child {
  const proc = spawn(process.execPath, [cliEntry, 'gateway', '--port', '0', ...args], { stdio: 'pipe' });
  const stdout: string[] = [];
  let buf = '';
  let err = '';
  proc.stdout.on('data', (c: Buffer) => {
    buf += c.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    stdout.push(...lines);
  });
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exit = once(proc, 'exit').then(([code]) => code as number | null);
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return { proc, stdout, stderr: () => err, exit };
}

/** The exit code, or 'still running' after `ms`; the timer never outlives the test. */
async function exitWithin(child: Child, ms: number): Promise<number | null | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((r) => (timer = setTimeout(() => r('still running'), ms)));
  try {
    return await Promise.race([child.exit, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function listening(child: Child): Promise<{ url: string; port: number; host: string }> {
  await waitFor(() => child.stdout.length > 0 || child.proc.exitCode !== null, 15_000, 'the listening line');
  assert.equal(child.stdout.length, 1, `stdout: ${child.stdout.join('|')} stderr: ${child.stderr()}`);
  const ev = JSON.parse(child.stdout[0]!);
  assert.equal(ev.event, 'listening');
  assert.equal(ev.host, '127.0.0.1');
  assert.equal(ev.url, `http://127.0.0.1:${ev.port}`);
  return ev;
}

test('the gateway child prints listening, follows stdin control, ignores bad lines, exits on EOF', async (t) => {
  const [r0] = await fakesFor(t, { kind: 'ok' });
  const child = startGatewayChild(t, '--exit-with-parent', '--request-timeout-ms', '2000');
  const { url } = await listening(child);
  assert.equal((await send(url + inferPath, { body: inferBody(), headers: jsonHeaders })).status, 503);
  child.proc.stdin.write('this is not json\n');
  child.proc.stdin.write(
    JSON.stringify({ type: 'replicas', replicas: [{ id: 'a', url: r0!.url, ready: true }] }) + '\n',
  );
  let status = 0;
  const until = performance.now() + 10_000;
  while (status !== 200 && performance.now() < until) {
    status = (await send(url + inferPath, { body: inferBody(), headers: jsonHeaders })).status;
    if (status !== 200) await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(status, 200);
  assert.equal(r0!.seen.at(-1)!.headers['x-serve-timeout-ms'] !== undefined, true);
  const logs = child
    .stderr()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(
    logs.some((l) => l.level === 'warn' && /bad control line/.test(l.msg)),
    child.stderr(),
  );

  child.proc.stdin.write('{"type":"drain"}\n');
  await waitFor(() => child.stdout.some((l) => l.includes('"draining"')), 10_000, 'the draining event');
  assert.equal((await send(url + inferPath, { body: inferBody(), headers: jsonHeaders })).status, 503);
  child.proc.stdin.end();
  const code = await exitWithin(child, 10_000);
  assert.equal(code, 0);
});

test('SIGTERM drains and exits 0; a taken port is a one-line usage error', async (t) => {
  const child = startGatewayChild(t);
  const { port } = await listening(child);
  const taken = spawn(process.execPath, [cliEntry, 'gateway', '--port', String(port)], { stdio: 'pipe' });
  t.after(() => taken.kill('SIGKILL'));
  let err = '';
  let out = '';
  taken.stderr.on('data', (c: Buffer) => (err += c.toString()));
  taken.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const [takenCode] = await once(taken, 'exit');
  assert.equal(takenCode, 2);
  assert.match(err, /^serve: error: --port \d+: the address 127\.0\.0\.1:\d+ is in use/);
  assert.equal(JSON.parse(out.trim()).event, 'fatal');
  child.proc.kill('SIGTERM');
  const code = await exitWithin(child, 10_000);
  assert.equal(code, 0);
});
