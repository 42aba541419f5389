// The layout of a cluster's state directory and who owns it (common): the pid file, admin socket,
// state.json and logs of `serve up`, read by every command that talks to a running cluster. The
// owner's side (claiming, writing) is in cluster/state-dir.ts.
import path from 'node:path';
import { UserError, UnreachableError } from './errors.js';
import { SD_FILE_NAME } from './monitoring.js';
import { readSmallFile } from './no-follow.js';
import { isAlive, readCmdline, readStartTicks } from './process.js';

/** The default state directory, relative to the working directory. */
export const DEFAULT_STATE_DIR = '.serve';

/** Paths inside a state directory. */
export interface StatePaths {
  dir: string;
  pidFile: string;
  adminSocket: string;
  stateFile: string;
  logsDir: string;
  /** Prometheus file-based service discovery: the cluster's targets (monitoring.ts). */
  sdFile: string;
  /** The controller's children and rollout progress, touched while it lives (controller-journal.ts). */
  journalFile: string;
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
    sdFile: path.join(abs, SD_FILE_NAME),
    journalFile: path.join(abs, 'controller.json'),
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
      `--state-dir ${paths.dir} is too long for the admin socket (${bytes} bytes, ` +
        `unix sockets allow ${MAX_SOCKET_PATH_BYTES}): ` +
        `use a shorter --state-dir (at most ${room} bytes as an absolute path), e.g. ` +
        `--state-dir /tmp/serve-state`,
    );
  }
}

/** What a pid file holds: the owner's pid and, on Linux, its start time (to detect pid reuse). */
export interface PidRecord {
  pid: number;
  startTicks: number | undefined;
  text: string;
}

export function readPidFile(paths: StatePaths): PidRecord | undefined {
  const text = readSmallFile(paths.pidFile);
  if (text === undefined) return undefined;
  const [first, second] = text.split('\n');
  const pid = Number(first?.trim());
  const m = /^start=(\d+)$/.exec(second?.trim() ?? '');
  return { pid: Number.isInteger(pid) && pid > 0 ? pid : 0, startTicks: m ? Number(m[1]) : undefined, text };
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
export function ownerAlive(rec: PidRecord): boolean {
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

/** The one-line error for "nothing is running here". */
export function notRunning(paths: StatePaths): UnreachableError {
  return new UnreachableError(`no cluster is running in ${paths.dir}: start one with \`serve up --profile <profile>\``);
}
