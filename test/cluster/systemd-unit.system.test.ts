// `serve up --print-systemd-unit` as systemd would use it, without systemd: the printed unit's
// ExecStart run in its WorkingDirectory with a bare environment brings the cluster up on its state
// directory; SIGTERM (systemd's stop, sent to the controller only: KillMode=process) drains it and exits
// 0 with nothing left; after kill -9 of the controller, the same ExecStart again (Restart=always)
// adopts the children that still serve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClusterStatus } from '../../src/common/cluster-status.js';
import type { ControllerJournal } from '../../src/common/controller-journal.js';
import { isAlive } from '../../src/common/process.js';
import { cliEntry } from '../helpers/paths.js';
import { addDemoModel, killAll, tempWorld, waitFor } from './helpers.js';

/** ExecStart's words, unquoted as systemd does for the quoting execWord writes. */
function execStart(unit: string): string[] {
  const line = unit
    .split('\n')
    .find((l) => l.startsWith('ExecStart='))!
    .slice('ExecStart='.length);
  const words: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g))
    words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1').replace(/\$\$/g, '$').replace(/%%/g, '%') : m[2]!);
  return words;
}

function status(stateDir: string): ClusterStatus | undefined {
  try {
    return JSON.parse(
      execFileSync(process.execPath, [cliEntry, 'status', '--json', '--state-dir', stateDir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as ClusterStatus;
  } catch {
    return undefined;
  }
}

test('the printed unit: ExecStart brings the cluster up, SIGTERM stops it cleanly, a restart after kill -9 serves again', async (t) => {
  const w = tempWorld();
  addDemoModel(w.registry);
  const profile = path.join(w.root, 'unit test.yaml');
  writeFileSync(
    profile,
    `name: unittest
model: { name: cnn-lstm, version: latest, registry: ${w.registry} }
replicas: { min: 1, max: 1, initial: 1 }
autoscaling: { enabled: false }
resources: { cpus: 0.5, gpus: 0, memory: 1GiB }
runtime: { device: cpu, threads: 1 }
gateway: { host: 127.0.0.1, port: 0 }
drain_timeout: 3s
local: { cpus: 2, memory: 4GiB }
`,
  );
  const pids: number[] = [];
  t.after(() => {
    killAll(pids);
    w.cleanup();
  });
  const unit = execFileSync(
    process.execPath,
    [cliEntry, 'up', '--profile', path.relative(w.root, profile), '--state-dir', 'state', '--print-systemd-unit'],
    { cwd: w.root, encoding: 'utf8' },
  );
  const words = execStart(unit);
  assert.deepEqual(words.slice(2, 8), [
    'up',
    '--profile',
    profile,
    '--state-dir',
    path.join(w.root, 'state'),
    '--allow-degraded',
  ]);
  const workingDir = /^WorkingDirectory=(.*)$/m.exec(unit)![1]!;
  const stateDir = path.join(w.root, 'state');
  // As systemd runs it: the unit's working directory, no terminal, a bare environment.
  let stderr = '';
  const run = (): ChildProcess => {
    const c = spawn(words[0]!, words.slice(1), {
      cwd: workingDir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' },
    });
    pids.push(c.pid!);
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return c;
  };
  const ready = async () => {
    const s = await waitFor(
      'the cluster ready',
      () => {
        const st = status(stateDir);
        return st?.replicas.some((r) => r.state === 'ready') && st.gateway.state === 'ready' ? st : undefined;
      },
      60_000,
      500,
    );
    pids.push(...s.replicas.map((r) => r.pid ?? 0), s.gateway.pid ?? 0, s.gateway.holderPid ?? 0);
    return s;
  };

  let controller = run();
  const first = await ready();
  // systemd's stop: SIGTERM to the main process; it drains and exits 0 before TimeoutStopSec.
  const exited = new Promise<number | null>((resolve) => controller.once('exit', (code) => resolve(code)));
  controller.kill('SIGTERM');
  assert.equal(await exited, 0);
  const children = [first.gateway.pid, ...first.replicas.map((r) => r.pid)].filter((p): p is number => p !== undefined);
  await waitFor('its children gone', () => children.every((p) => !isAlive(p)) || undefined, 10_000, 100);

  // A controller that dies is started again by Restart=always: the same ExecStart serves again.
  controller = run();
  const second = await ready();
  await waitFor(
    'the journal to record both children with their control sockets',
    () => {
      try {
        const j = JSON.parse(readFileSync(path.join(stateDir, 'controller.json'), 'utf8')) as ControllerJournal;
        return j.pid === controller.pid && j.children.filter((c) => c.controlSocket).length === 2 ? true : undefined;
      } catch {
        return undefined;
      }
    },
    10_000,
    100,
  );
  process.kill(controller.pid!, 'SIGKILL');
  controller = run();
  const third = await ready();
  // KillMode=process leaves the children in the unit's cgroup: the restarted controller adopts them.
  assert.equal(third.gateway.pid, second.gateway.pid, 'the same serving gateway, adopted');
  assert.deepEqual(
    third.replicas.map((r) => r.pid),
    second.replicas.map((r) => r.pid),
  );
  const stopped = new Promise<number | null>((resolve) => controller.once('exit', (code) => resolve(code)));
  controller.kill('SIGTERM');
  assert.equal(await stopped, 0);
});
