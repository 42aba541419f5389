// A controller in the background (client), for `serve up --detach`, `serve down`, tune and the tests:
// start `serve up` detached from the terminal (its output to <state-dir>/logs/up.log, which the
// controller rotates), wait until it is running, and stop it: /down through the admin API, else
// SIGTERM to it and its process group, then SIGKILL after a grace period.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync } from 'node:fs';
import path from 'node:path';
import { PendingFile } from '../common/atomic-write.js';
import type { ClusterStatus } from '../common/cluster-status.js';
import { UnreachableError } from '../common/errors.js';
import { openAppend } from '../common/no-follow.js';
import { isAlive, readProcessGroup } from '../common/process.js';
import type { StatePaths } from '../common/state-layout.js';
import { prepareStateDir } from '../common/state-dir-guard.js';
import { AdminClient, ControllerUnresponsiveError } from './admin-client.js';
import { untilCluster, type UntilOptions } from './cluster-changes.js';
import { outputSince } from './up-output.js';

/** Each status asked while waiting for a start gets this long (the controller is busy starting). */
const STATUS_TIMEOUT_MS = 2000;
/** After SIGKILL, how long to wait for the process to be gone before going on. */
const KILL_WAIT_MS = 2000;
/** The re-check of a process that is not our child (waitGone). */
const GONE_CHECK_MS = 50;

/** A process to stop: its pid and, for our own child, its 'exit' event (undefined for any other). */
export interface Stoppable {
  pid: number;
  exited?: Promise<unknown>;
  /** True when it leads its own process group (a controller we started detached): the group is signalled even after it is gone. */
  leader?: boolean;
}

export interface StopOptions {
  /** From the request on: how long the controller has to answer /down and then be gone; past it, SIGKILL. */
  timeoutMs: number;
  /** How long the /down request itself may take (default timeoutMs). */
  requestTimeoutMs?: number;
  /** A controller that does not answer usably gets SIGTERM, then SIGKILL after this long. */
  termGraceMs: number;
}

export interface StopOutcome {
  /** Why the controller did not answer /down usably ("did not answer within 2.00s"); it got signals instead. */
  unresponsive?: string;
  /** It was still there at the deadline (or after the grace) and got SIGKILL. */
  killed: boolean;
}

/** A background controller this process started. */
export class DetachedCluster implements Stoppable {
  readonly exited: Promise<number | null>;
  readonly leader = true;
  /** Its exit code once it exited (null: ended by a signal); undefined while it runs. */
  exitCode: number | null | undefined;

  private constructor(
    readonly paths: StatePaths,
    readonly pid: number,
    /** <state-dir>/logs/up.log, shared by every run in this state directory. */
    readonly outputLog: string,
    /** Size of up.log before this run, and its inode then (rotated since: this run starts in up.log.1). */
    private readonly outputStart: { bytes: number; ino: number },
    exited: Promise<number | null>,
  ) {
    this.exited = exited.then((code) => (this.exitCode = code));
  }

  /**
   * Starts `node <cliEntry> <args>` in its own session and process group. The state directory is
   * checked first (a UserError, and nothing started, if it is not safe to use, or DiskFullError if its
   * disk takes no file) and up.log is opened without following a link.
   */
  static start(cliEntry: string, args: readonly string[], paths: StatePaths): DetachedCluster {
    prepareStateDir(paths);
    checkDiskTakesFiles(paths);
    const outputLog = path.join(paths.logsDir, 'up.log');
    const fd = openAppend(outputLog);
    let start: { bytes: number; ino: number };
    let child;
    try {
      const st = fstatSync(fd);
      start = { bytes: st.size, ino: st.ino };
      child = spawn(process.execPath, [cliEntry, ...args], {
        detached: true,
        stdio: ['ignore', fd, fd],
        cwd: process.cwd(),
      });
    } finally {
      closeSync(fd);
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // It outlives us; what waits on it (a watch, a timer) keeps this process alive meanwhile.
    child.unref();
    if (child.pid === undefined) throw new Error('could not start the background controller');
    return new DetachedCluster(paths, child.pid, outputLog, start, exited);
  }

  /**
   * Resolves with its status once it says running, waiting on its state directory's changes
   * (cluster-changes.ts); undefined when it exited first (see exitCode) or `o` gave up.
   */
  waitRunning(o: Omit<UntilOptions, 'until'> = {}): Promise<ClusterStatus | undefined> {
    const client = new AdminClient(this.paths.dir, STATUS_TIMEOUT_MS);
    const running = async () => {
      const s = await client.status().catch(() => undefined);
      return s?.phase === 'running' && s.controllerPid === this.pid ? s : undefined;
    };
    return untilCluster(this.paths, running, { ...o, until: this.exited });
  }

  /** The lines this run wrote to up.log (up-output.ts). */
  output(): string[] {
    return outputSince(this.outputLog, this.outputStart.bytes, this.outputStart.ino);
  }

  stop(o: StopOptions): Promise<StopOutcome> {
    return stopController(this.paths, this, o);
  }

  /** SIGKILL to it and its group at once (its replicas exit with it). */
  kill(): void {
    signalController(this, 'SIGKILL');
  }
}

/**
 * Stops the controller `target` of `paths`: /down (it drains), or SIGTERM when it has no socket yet
 * (still starting: SIGTERM drains too), then waits until it is gone; SIGKILL at the deadline. One that
 * does not answer usably gets SIGTERM, then SIGKILL after `termGraceMs`. A 4xx answer is thrown.
 */
export async function stopController(paths: StatePaths, target: Stoppable, o: StopOptions): Promise<StopOutcome> {
  const startedMs = performance.now();
  try {
    await new AdminClient(paths.dir, Math.max(1, o.requestTimeoutMs ?? o.timeoutMs)).down();
  } catch (err) {
    if (err instanceof ControllerUnresponsiveError)
      return { unresponsive: err.reason, killed: await terminate(target, o.termGraceMs) };
    if (!(err instanceof UnreachableError)) throw err;
    signalController(target, 'SIGTERM');
  }
  if (await waitGone(target, o.timeoutMs - (performance.now() - startedMs))) return { killed: false };
  signalController(target, 'SIGKILL');
  return { killed: true };
}

/** Sends `sig`, waits `graceMs` for `target` to be gone, then SIGKILL (and up to 2 s more); true when it took SIGKILL. */
export async function terminate(target: Stoppable, graceMs: number, sig: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
  signalController(target, sig);
  if (await waitGone(target, graceMs)) return false;
  signalController(target, 'SIGKILL');
  await waitGone(target, KILL_WAIT_MS);
  return true;
}

/** Signals `target`, and its process group too when it leads one (a --detach controller); a process already gone is no error. */
export function signalController(target: Stoppable, sig: NodeJS.Signals): void {
  const { pid } = target;
  const leads = target.leader === true || readProcessGroup(pid) === pid;
  for (const to of leads ? [-pid, pid] : [pid]) {
    try {
      process.kill(to, sig);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Resolves true once `target` is gone, false after `ms`. Our own child: its 'exit' event. Any other
 * process: Linux tells only a parent when a process dies (Node has no pidfd), so here, and only here,
 * it is re-checked every GONE_CHECK_MS until the deadline.
 */
export function waitGone(target: Stoppable, ms: number): Promise<boolean> {
  const { pid, exited } = target;
  // Our child is gone at its 'exit' event (reaped, exit code known), not when it turns zombie.
  if (!exited && !isAlive(pid)) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    let recheck: NodeJS.Timeout | undefined;
    const finish = (gone: boolean) => {
      clearTimeout(limit);
      clearInterval(recheck);
      resolve(gone);
    };
    const limit = setTimeout(() => finish(!exited && !isAlive(pid)), Math.max(0, ms));
    if (exited) void exited.then(() => finish(true));
    else recheck = setInterval(() => !isAlive(pid) && finish(true), GONE_CHECK_MS);
  });
}

/**
 * Writes (and fsyncs) a pid file's worth under a temp name in the state directory and removes it:
 * a full disk is one line naming the directory here, not a background controller that cannot even
 * write its error to up.log.
 */
function checkDiskTakesFiles(paths: StatePaths): void {
  const probe = PendingFile.open(paths.pidFile, { mode: 0o600 });
  try {
    probe.write(`${process.pid}\nstart=0000000000\n`);
    probe.finish();
  } finally {
    probe.discard();
  }
}
