// A dead controller's journal, read as `serve status` reads it: a live owner is not dead; children
// are running or exited as they are (a reused pid is not ours); the files it left are removed only
// while its pid file names a dead process and nobody holds the claim lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clearDeadOwner, controllerDeath } from '../../src/common/controller-death.js';
import type { ControllerJournal } from '../../src/common/controller-journal.js';
import { readStartTicks } from '../../src/common/process.js';
import { statePaths } from '../../src/common/state-layout.js';

/** A pid that was just used and is gone. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

function world(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-death-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const paths = statePaths(dir);
  const left = [paths.sdFile, paths.adminSocket, paths.stateFile];
  const leave = (owner: number) => {
    writeFileSync(paths.pidFile, `${owner}\n`);
    for (const f of left) writeFileSync(f, '{}');
  };
  const journal = (j: Partial<ControllerJournal>) =>
    writeFileSync(
      paths.journalFile,
      JSON.stringify({ version: 1, startedAt: '2026-12-07T12:00:00.000Z', profile: 'p', children: [], ...j }),
    );
  return { paths, left, leave, journal };
}

test('a dead controller: its children as they are, its rollout, and what it left removed once', (t) => {
  const { paths, leave, journal } = world(t);
  const dead = deadPid();
  leave(dead);
  const gone = deadPid();
  journal({
    pid: dead,
    children: [
      { id: 'gateway', pid: process.pid, startTicks: readStartTicks(process.pid)! },
      { id: 'replica-1', pid: gone },
      // Our pid, but another start time: a later process that got the pid, not the child.
      { id: 'replica-2', pid: process.pid, startTicks: readStartTicks(process.pid)! + 1 },
      { id: 'replica-3', pid: 77, host: 'gpu-a' },
    ],
    rollout: { model: 'm', fromVersion: 1, toVersion: 2, phase: 'stepping', step: 1, steps: 2, percent: 50 },
  });
  const d = controllerDeath(paths, true)!;
  assert.equal(d.pid, dead);
  assert.deepEqual(
    d.children.map((c) => [c.id, c.state]),
    [
      ['gateway', 'running'],
      ['replica-1', 'exited'],
      ['replica-2', 'exited'],
      ['replica-3', 'unknown'],
    ],
  );
  assert.equal(d.rollout?.step, 1);
  // A child still serves (the gateway): Prometheus keeps scraping the targets.
  assert.deepEqual(d.removed.sort(), ['admin.sock', 'serve.pid', 'state.json']);
  for (const f of [paths.adminSocket, paths.stateFile, paths.pidFile]) assert.equal(existsSync(f), false, f);
  assert.equal(existsSync(paths.sdFile), true);
  // The journal stays, so the story can be told again (the next `serve up` replaces it).
  assert.equal(existsSync(paths.journalFile), true);
  assert.deepEqual(controllerDeath(paths, true)!.removed, []);
});

test('a dead controller whose children all exited: its Prometheus targets go too', (t) => {
  const { paths, left, leave, journal } = world(t);
  const dead = deadPid();
  leave(dead);
  journal({ pid: dead, children: [{ id: 'gateway', pid: deadPid() }] });
  const d = controllerDeath(paths, true)!;
  assert.deepEqual(d.removed.sort(), ['admin.sock', 'prometheus-targets.json', 'serve.pid', 'state.json']);
  for (const f of [...left, paths.pidFile]) assert.equal(existsSync(f), false, f);
});

test('a live controller is not dead, and its files are never removed', (t) => {
  const { paths, left, leave, journal } = world(t);
  leave(process.pid);
  journal({ pid: process.pid });
  assert.equal(controllerDeath(paths, true), undefined);
  assert.deepEqual(clearDeadOwner(paths), []);
  for (const f of [...left, paths.pidFile]) assert.equal(existsSync(f), true, f);
});

test('while someone holds the claim lock (a serve up starting), nothing is removed', (t) => {
  const { paths, left, leave } = world(t);
  leave(deadPid());
  writeFileSync(`${paths.pidFile}.lock`, `${process.pid}\n`);
  assert.deepEqual(clearDeadOwner(paths), []);
  for (const f of [...left, paths.pidFile, `${paths.pidFile}.lock`]) assert.equal(existsSync(f), true, f);
  rmSync(`${paths.pidFile}.lock`);
  assert.equal(clearDeadOwner(paths).length, 4);
  assert.equal(existsSync(`${paths.pidFile}.${process.pid}.tmp`), false, 'no temporary file left');
});
