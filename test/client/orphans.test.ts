// The data plane a dead controller left, asked and stopped directly: real HTTP servers on loopback
// for the answers, real detached child processes for the stop (one ignores SIGTERM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { askDataPlane, dataPlaneServing, stopDataPlane } from '../../src/client/orphans.js';
import type { ControllerDeath, DeadControllerChild } from '../../src/common/controller-death.js';
import { isAlive, readStartTicks } from '../../src/common/process.js';
import { renderDeath } from '../../src/cli/status/death.js';

function death(children: DeadControllerChild[]): ControllerDeath {
  return {
    pid: 4242,
    profile: 'local',
    startedAt: '2026-12-07T12:00:00.000Z',
    lastAliveAt: '2026-12-07T12:30:05.000Z',
    children,
    removed: [],
  };
}

async function server(t: { after(fn: () => unknown): void }, status: number | 'hang'): Promise<string> {
  const s = http.createServer((req, res) => {
    if (status === 'hang') return;
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => (s.closeAllConnections(), new Promise((r) => s.close(r))));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

test('asked directly: the gateway ready means the data plane serves; each child says what it answered', async (t) => {
  const me = { pid: process.pid, startTicks: readStartTicks(process.pid), state: 'running' as const };
  const d = death([
    { id: 'gateway', ...me, url: await server(t, 200) },
    { id: 'replica-1', ...me, url: await server(t, 503) },
    { id: 'replica-2', ...me, url: await server(t, 'hang') },
    { id: 'replica-3', pid: 1, state: 'exited' },
    { id: 'replica-4', pid: 77, host: 'gpu-a', state: 'unknown', url: 'http://10.0.0.9:1' },
  ]);
  const started = Date.now();
  const plane = await askDataPlane(d, 300);
  assert.ok(Date.now() - started < 2000, 'asked all at once, each within its timeout');
  assert.deepEqual(
    plane.children.map((c) => [c.id, c.answer, c.status]),
    [
      ['gateway', 'ready', 200],
      ['replica-1', 'not-ready', 503],
      ['replica-2', 'no-answer', undefined],
      ['replica-3', 'exited', undefined],
      ['replica-4', 'not-asked', undefined],
    ],
  );
  assert.equal(plane.serving, true);
  const text = renderDeath(d, '/srv/.serve', plane);
  assert.match(text, /^The controller of \/srv\/\.serve is down since 2026-12-07 12:30:05 UTC/);
  assert.match(text, /The data plane is serving without it/);
  assert.match(text, /gateway pid \d+ at http:\/\/127\.0\.0\.1:\d+: serving \(ready\)/);
  assert.match(text, /replica-1 pid \d+ at .*: running, not ready \(HTTP 503\)/);
  assert.match(text, /replica-2 pid \d+ at .*: running, does not answer/);
  assert.match(text, /replica-4 pid 77 on gpu-a: not known/);
  assert.match(text, /Re-adopt it with `serve up --profile local --state-dir \/srv\/\.serve`/);
  assert.match(text, /stop them with `serve down --state-dir \/srv\/\.serve`/);
});

test('no gateway answering ready: not serving, and the old wording', async (t) => {
  const me = { pid: process.pid, startTicks: readStartTicks(process.pid), state: 'running' as const };
  assert.equal(dataPlaneServing([{ id: 'replica-1', pid: 1, answer: 'ready' }]), false);
  const d = death([{ id: 'gateway', ...me, url: await server(t, 503) }]);
  const plane = await askDataPlane(d, 300);
  assert.equal(plane.serving, false);
  assert.match(renderDeath(d, '/x', plane), /^No cluster is running in \/x: the controller \(pid 4242/);
  const gone = death([{ id: 'gateway', pid: 1, state: 'exited' }]);
  assert.match(renderDeath(gone, '/x'), /Start it again with `serve up --profile local --state-dir \/x`\.$/m);
});

function detachedChild(ignoreTerm: boolean) {
  const code = ignoreTerm
    ? "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);"
    : 'setInterval(() => {}, 1000);';
  const child = spawn(process.execPath, ['-e', code], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid!;
}

test('stopping what a dead controller left: SIGTERM to each group, SIGKILL after the grace; others are left alone', async (t) => {
  const polite = detachedChild(false);
  const stubborn = detachedChild(true);
  const stranger = detachedChild(false);
  t.after(() => {
    for (const pid of [polite, stubborn, stranger])
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
  });
  await new Promise((r) => setTimeout(r, 300)); // let the stubborn one install its handler
  const ticks = (pid: number) => readStartTicks(pid)!;
  const d = death([
    { id: 'gateway', pid: polite, startTicks: ticks(polite), state: 'running' },
    { id: 'replica-1', pid: stubborn, startTicks: ticks(stubborn), state: 'running' },
    // No start time recorded: it cannot be told from a later process with its pid, so it is not signalled.
    { id: 'replica-2', pid: stranger, state: 'running' },
    { id: 'replica-3', pid: 77, host: 'gpu-a', state: 'unknown' },
  ]);
  const stopped = await stopDataPlane(d, 500);
  assert.deepEqual(
    stopped.map((c) => [c.id, c.killed]),
    [
      ['gateway', false],
      ['replica-1', true],
    ],
  );
  assert.equal(isAlive(polite), false);
  assert.equal(isAlive(stubborn), false);
  assert.equal(isAlive(stranger), true);
});
