// `serve up --json` as a child process that a test kills with SIGKILL (test helper, issue 26): its
// status once ready, its stderr, and waits on the journal a dead controller leaves for the next one.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClusterStatus } from '../../src/common/cluster-status.js';
import type { ControllerJournal } from '../../src/common/controller-journal.js';
import { waitFor } from '../cluster/helpers.js';
import { cliEntry } from './paths.js';

export interface Up {
  child: ChildProcess;
  status: ClusterStatus;
  stderr(): string;
  exited: Promise<void>;
  /** From the spawn of `serve up` to its status on stdout (Node's start and the CLI's load included). */
  wallMs: number;
}

/**
 * `serve up --json` in `root`; resolves with the status it prints once ready (within `limitMs`).
 * `onSpawn` hears of the child at once, so a caller can arrange its cleanup even if no status comes.
 */
export async function serveUp(
  root: string,
  profile: string,
  stateDir: string,
  o: { limitMs?: number; onSpawn?: (child: ChildProcess, exited: Promise<void>) => void } = {},
): Promise<Up> {
  const limitMs = o.limitMs ?? 60_000;
  const t0 = Date.now();
  const child = spawn(process.execPath, [cliEntry, 'up', '--json', '--profile', profile, '--state-dir', stateDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  o.onSpawn?.(child, exited);
  // The status is the one JSON document it prints on stdout: parsed at each chunk, not on a timer.
  const status = await new Promise<ClusterStatus>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve up printed no status within ${limitMs / 1000} s: ${stderr}`)),
      limitMs,
    );
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      try {
        resolve(JSON.parse(stdout) as ClusterStatus);
        clearTimeout(timer);
      } catch {
        // Not whole yet.
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`serve up exited with ${child.exitCode}: ${stderr}`));
    });
  });
  return { child, status, stderr: () => stderr, exited, wallMs: Date.now() - t0 };
}

/** Every process of the cluster in `s`: the gateway's holder and serving process, each replica. */
export function pidsOf(s: ClusterStatus): number[] {
  return [s.gateway.holderPid!, s.gateway.pid!, ...s.replicas.map((r) => r.pid!)].sort((a, b) => a - b);
}

/** Waits until the journal names `controllerPid` and an adoptable record of each of `n` children. */
export async function journalReady(stateDir: string, controllerPid: number, n: number): Promise<void> {
  await waitFor(
    'the journal to record every child with its control socket',
    () => {
      try {
        const j = JSON.parse(readFileSync(path.join(stateDir, 'controller.json'), 'utf8')) as ControllerJournal;
        return j.pid === controllerPid && j.children.filter((c) => c.controlSocket).length === n;
      } catch {
        return false;
      }
    },
    5000,
  );
}

/** SIGKILL to the controller alone (not its process group); resolves once it has exited. */
export async function killController(up: Up): Promise<void> {
  process.kill(up.child.pid!, 'SIGKILL');
  await up.exited;
}
