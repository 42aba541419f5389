// The state directory of one cluster (control plane): pid file, admin socket, state.json, logs.
// `serve up` owns it while running; status, logs, scale, down and bench read it.
import { closeSync, fstatSync, linkSync, readSync, renameSync } from 'node:fs';
import path from 'node:path';
import { UserError, UnreachableError } from '../common/errors.js';
import type { ClusterStateFile } from '../common/wire.js';
import { isAlive } from '../common/process.js';
import { openRead, removeEntry, writeNewFile } from '../common/no-follow.js';
import { readCmdline, readStartTicks } from './proc-stats.js';
import { prepareStateDir } from './state-dir-guard.js';

/** The default state directory, relative to the working directory. */
export const DEFAULT_STATE_DIR = '.serve';

/** Paths inside a state directory. */
export interface StatePaths {
  dir: string;
  pidFile: string;
  adminSocket: string;
  stateFile: string;
  logsDir: string;
}

/** Resolves the paths of `dir` (relative to `cwd`). */
export function statePaths(dir: string, cwd = process.cwd()): StatePaths {
  const abs = path.resolve(cwd, dir);
  return {
    dir: abs,
    pidFile: path.join(abs, 'serve.pid'),
    adminSocket: path.join(abs, 'admin.sock'),
    stateFile: path.join(abs, 'state.json'),
    logsDir: path.join(abs, 'logs'),
  };
}

// Linux caps sun_path at 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Throws a UserError naming --state-dir if the admin socket's path is too long for a unix socket
 * (listen() would fail or, worse, hang). Call before starting anything.
 */
export function checkSocketPath(paths: StatePaths): void {
  const bytes = Buffer.byteLength(paths.adminSocket);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    const room = MAX_SOCKET_PATH_BYTES - Buffer.byteLength(path.basename(paths.adminSocket)) - 1;
    throw new UserError(
      `--state-dir ${paths.dir} is too long for the admin socket (${bytes} bytes, unix sockets allow ${MAX_SOCKET_PATH_BYTES}): ` +
        `use a shorter --state-dir (at most ${room} bytes as an absolute path), e.g. --state-dir /tmp/serve-state`,
    );
  }
}

/** What a pid file holds: the owner's pid and, on Linux, its start time (to detect pid reuse). */
interface PidRecord {
  pid: number;
  startTicks: number | undefined;
  text: string;
}

function readPidFile(paths: StatePaths): PidRecord | undefined {
  const text = readSmallFile(paths.pidFile);
  if (text === undefined) return undefined;
  const [first, second] = text.split('\n');
  const pid = Number(first?.trim());
  const m = /^start=(\d+)$/.exec(second?.trim() ?? '');
  return { pid: Number.isInteger(pid) && pid > 0 ? pid : 0, startTicks: m ? Number(m[1]) : undefined, text };
}

/** A pid file's text, read without following a link (a link or anything unreadable: undefined). */
function readSmallFile(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openRead(file);
    if (fd === undefined) return undefined;
    const buf = Buffer.alloc(Math.min(fstatSync(fd).size, 4096));
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * True if `argv` looks like a process that owns a state directory: the serve CLI (main.js,
 * bin/serve.js or a `serve` link) running `up` or `demo`.
 */
export function looksLikeController(argv: readonly string[]): boolean {
  const entry = argv.findIndex((a) => ['main.js', 'serve.js', 'serve'].includes(path.basename(a)));
  return entry >= 0 && argv.slice(entry + 1).some((a) => a === 'up' || a === 'demo');
}

/**
 * True if the pid file's owner is still that very process, not a later one that got its pid:
 * the recorded start time must match, or (for a file without one) the command line must look
 * like our controller. Where /proc cannot be read, a live pid is trusted.
 */
function ownerAlive(rec: PidRecord): boolean {
  if (rec.pid === 0) return false;
  if (rec.pid === process.pid) return true;
  if (!isAlive(rec.pid)) return false;
  const started = readStartTicks(rec.pid);
  if (started === undefined) return true;
  if (rec.startTicks !== undefined) return started === rec.startTicks;
  const argv = readCmdline(rec.pid);
  return argv === undefined || looksLikeController(argv);
}

/** Pid of the controller that owns the directory, if it is still alive (and still that process). */
export function runningPid(paths: StatePaths): number | undefined {
  const rec = readPidFile(paths);
  return rec && ownerAlive(rec) ? rec.pid : undefined;
}

function alreadyRunning(paths: StatePaths, pid: number): UserError {
  return new UserError(
    `a cluster is already running in ${paths.dir} (pid ${pid}): stop it with \`serve down --state-dir ${paths.dir}\` or use another --state-dir`,
  );
}

/**
 * Takes the directory for this process, atomically: the pid file is written whole under a temp
 * name and link()ed into place, which fails if any pid file exists, so of several `serve up`
 * racing exactly one wins. A pid file of a dead (or reused) owner is removed only under a lock
 * (serve.pid.lock, taken the same way) and only if it still holds what was read, then the claim
 * is tried once more: so a fresh claim by someone else is never deleted. The directory is checked
 * first (prepareStateDir: ours, private, no links where our files go); link(2) never follows a link
 * at its target and the temp file is created exclusively, so no write here goes through a link.
 */
export function claimStateDir(paths: StatePaths, pid = process.pid): void {
  prepareStateDir(paths);
  const startTicks = readStartTicks(pid);
  const tmp = `${paths.pidFile}.${pid}.tmp`;
  const lockFile = `${paths.pidFile}.lock`;
  writeNewFile(tmp, `${pid}\n${startTicks === undefined ? '' : `start=${startTicks}\n`}`);
  try {
    if (tryLink(tmp, paths.pidFile)) return cleanLeftovers(paths);
    const stale = readPidFile(paths);
    // Our own pid counts too: a second startCluster in one process must not take the first's place.
    if (stale && ownerAlive(stale)) throw alreadyRunning(paths, stale.pid);
    if (!tryLink(tmp, lockFile)) {
      const holder = readPidFile({ ...paths, pidFile: lockFile });
      const hint = holder && ownerAlive(holder) ? '' : ` (if none is, remove ${lockFile})`;
      throw new UserError(`another \`serve up\` is starting in ${paths.dir}: wait for it or use another --state-dir${hint}`);
    }
    try {
      // Only the lock holder deletes pid files, so the file read here cannot change under us.
      const now = readPidFile(paths);
      if (now && stale && now.text === stale.text) removeEntry(paths.pidFile);
      if (tryLink(tmp, paths.pidFile)) return cleanLeftovers(paths);
      const winner = readPidFile(paths);
      if (winner && ownerAlive(winner)) throw alreadyRunning(paths, winner.pid);
      throw new UserError(`another \`serve up\` is starting in ${paths.dir}: wait for it or use another --state-dir`);
    } finally {
      removeEntry(lockFile);
    }
  } finally {
    removeEntry(tmp);
  }
}

/** link(2) `from` to `to`; false if `to` exists. */
function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Removes what a dead owner left behind, once the claim is ours. */
function cleanLeftovers(paths: StatePaths): void {
  for (const p of [paths.adminSocket, paths.stateFile]) removeEntry(p);
}

/** Removes what a running controller keeps in the directory (logs stay); only if we own it. */
export function releaseStateDir(paths: StatePaths, pid = process.pid): void {
  if (readPidFile(paths)?.pid !== pid) return;
  for (const p of [paths.adminSocket, paths.stateFile, paths.pidFile]) removeEntry(p);
}

/**
 * Writes state.json atomically (a new temp file, created exclusively, then rename), so readers
 * never see half a file; rename(2) replaces a link at state.json instead of writing through it.
 */
export function writeStateFile(paths: StatePaths, state: ClusterStateFile): void {
  const tmp = `${paths.stateFile}.${process.pid}.tmp`;
  writeNewFile(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, paths.stateFile);
}

/** The one-line error for "nothing is running here". */
export function notRunning(paths: StatePaths): UnreachableError {
  return new UnreachableError(`no cluster is running in ${paths.dir}: start one with \`serve up --profile <profile>\``);
}
