// The cluster side of the data-plane survival benchmark (bench, issue 26): `serve up --profile
// local --json` in the foreground as a user runs it (the shipped profile on a port of its own, the
// demo model in a temporary registry and state directory), the other CLI commands as child
// processes, and cleanup that leaves nothing behind: every pid any status named is SIGKILLed and the
// temporary folder removed, also on Ctrl-C or when the run goes past its time limit.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClusterStatus } from '../src/common/cluster-status.js';
import type { ControllerJournal } from '../src/common/controller-journal.js';
import { isAlive } from '../src/common/process.js';
import { writeDemoModel } from '../src/model/demo.js';
import { cliEntry } from './replica-harness.js';
import { payloadsFor, startLoad } from './survival-load.js';

/** A temporary registry and state directory, and every pid of a cluster seen in it. */
export interface World {
  root: string;
  registry: string;
  stateDir: string;
  seen: Set<number>;
}

const worlds = new Set<World>();

export async function newWorld(): Promise<World> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'serve-bench-survival-'));
  const w: World = { root, registry: path.join(root, 'models'), stateDir: path.join(root, 'state'), seen: new Set() };
  worlds.add(w);
  await writeDemoModel(w.registry);
  return w;
}

/** SIGKILLs every pid seen in `w` (those already gone ignored) and removes its folder. Synchronous. */
export function dispose(w: World): void {
  for (const pid of w.seen) {
    try {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  rmSync(w.root, { recursive: true, force: true });
  worlds.delete(w);
}

/** Disposes every world left (Ctrl-C, the time limit) and exits with `code`. */
export function abandonAll(code: number, why: string): never {
  process.stderr.write(`${why}: killing what is left and removing the temporary folders\n`);
  for (const w of [...worlds]) dispose(w);
  process.exit(code);
}

/** A foreground `serve up --json`: its status once ready, its stderr, its exit. */
export interface Up {
  child: ChildProcess;
  status: ClusterStatus;
  stderr(): string;
  exited: Promise<void>;
  /** From the spawn of `serve up` to its status on stdout (Node's start and the CLI's load included). */
  wallMs: number;
}

const env = { ...process.env, SERVE_PORT: '0' };

/** `serve up --profile local --json` on `w`; resolves with the status it prints once ready. */
export async function serveUp(w: World, limitMs = 120_000): Promise<Up> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [cliEntry, 'up', '--json', '--profile', 'local', '--state-dir', w.stateDir, '--registry', w.registry],
    { cwd: w.root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  w.seen.add(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const status = await new Promise<ClusterStatus>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve up printed no status within ${limitMs} ms: ${stderr.slice(-600)}`)),
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
      reject(new Error(`serve up exited with ${child.exitCode}: ${stderr.slice(-600)}`));
    });
  });
  for (const p of clusterPids(status)) w.seen.add(p);
  return { child, status, stderr: () => stderr, exited, wallMs: performance.now() - t0 };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/** `serve ARGS` as a child process, SIGKILLed past `limitMs`. */
export function serveCli(args: string[], limitMs = 60_000): Promise<CliRun> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliEntry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, wallMs: performance.now() - t0 });
    });
  });
}

/** `serve status --json` of `w` (its pids added to those seen); undefined when it has none to give. */
export async function statusOf(w: World): Promise<ClusterStatus | undefined> {
  const r = await serveCli(['status', '--json', '--state-dir', w.stateDir], 30_000);
  try {
    const s = JSON.parse(r.stdout) as ClusterStatus;
    for (const p of clusterPids(s)) w.seen.add(p);
    return s;
  } catch {
    return undefined;
  }
}

/** The holder, the serving gateway and each replica a status names. */
export function clusterPids(s: ClusterStatus): number[] {
  const pids = [s.gateway.holderPid, s.gateway.pid, ...s.replicas.map((r) => r.pid)];
  return pids.filter((p): p is number => p !== undefined);
}

/** The same pids, in a form to compare: "holder 1, gateway 2, replica-1 3, ...". */
export function pidLine(s: ClusterStatus): string {
  const replicas = [...s.replicas].sort((a, b) => a.id.localeCompare(b.id)).map((r) => `${r.id} ${r.pid}`);
  return [`holder ${s.gateway.holderPid}`, `gateway ${s.gateway.pid}`, ...replicas].join(', ');
}

/** Waits (at most `limitMs`) until the journal names `controllerPid` and a control socket for each of `n` children. */
export async function journalReady(w: World, controllerPid: number, n: number, limitMs = 15_000): Promise<boolean> {
  const deadline = performance.now() + limitMs;
  while (performance.now() < deadline) {
    try {
      const j = JSON.parse(readFileSync(path.join(w.stateDir, 'controller.json'), 'utf8')) as ControllerJournal;
      if (j.pid === controllerPid && j.children.filter((c) => c.controlSocket).length === n) return true;
    } catch {
      // Not written yet, or being replaced.
    }
    await sleep(50);
  }
  return false;
}

/** The adoption's own time, from the controller's startup line "adopted ... in N ms". */
export function adoptedMs(stderr: string): number | undefined {
  const m = /adopted from the controller that died .* in (\d+) ms/.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

/** How many lines of `<state-dir>/logs/<file>` contain `text` (0 when it cannot be read). */
export function logLines(w: World, file: string, text: string): number {
  try {
    return readFileSync(path.join(w.stateDir, 'logs', file), 'utf8')
      .split('\n')
      .filter((l) => l.includes(text)).length;
  } catch {
    return 0;
  }
}

/** Processes still in the process groups led by `leaders` (zombies left out): "pid pgid state". */
export function groupMembersLeft(leaders: readonly number[]): string[] {
  return execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3 && leaders.includes(Number(f[1])) && !f[2]!.startsWith('Z'))
    .map((f) => f.join(' '));
}

/** `serve down` of `w`, then SIGKILL of anything seen that outlived it, and the folder removed. */
export async function tearDown(w: World, up: Up | undefined): Promise<void> {
  try {
    if (isAlive(up?.child.pid ?? 0) || [...w.seen].some(isAlive)) await serveCli(['down', '--state-dir', w.stateDir]);
    if (up) await Promise.race([up.exited, sleep(10_000)]);
  } finally {
    dispose(w);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const sleepUntil = (atMs: number) => sleep(Math.max(0, atMs - performance.now()));

/** `serve up` on `w`, then 2 s of load at `rps` that is not counted; its URL and request bodies. */
export async function upAndWarm(w: World, rps: number, connections: number) {
  const up = await serveUp(w);
  const payloads = await payloadsFor(up.status.gatewayUrl);
  const warm = startLoad(up.status.gatewayUrl, rps, payloads, { connections });
  await sleep(2000);
  await warm.stop();
  return { up, payloads, url: up.status.gatewayUrl };
}
