// The state directory of one cluster (control plane): pid file, admin socket, state.json, logs.
// `serve up` owns it while running; status, logs, scale, down and bench read it.
import { mkdirSync, readFileSync, rmSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import path from 'node:path';
import { UserError, UnreachableError } from '../common/errors.js';
import type { ClusterStateFile } from '../common/wire.js';
import { isAlive } from './proc-stats.js';

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

/** Pid of the controller that owns the directory, if it is still alive. */
export function runningPid(paths: StatePaths): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/**
 * Takes the directory for this process: refuses if a live controller owns it, cleans up what a
 * dead one left (pid file, socket, state file), then writes our pid with O_EXCL so two `serve up`
 * racing cannot both win.
 */
export function claimStateDir(paths: StatePaths, pid = process.pid): void {
  mkdirSync(paths.logsDir, { recursive: true, mode: 0o700 });
  // Our own pid counts too: a second startCluster in one process must not take the first's place.
  const other = runningPid(paths);
  if (other !== undefined) {
    throw new UserError(
      `a cluster is already running in ${paths.dir} (pid ${other}): stop it with \`serve down --state-dir ${paths.dir}\` or use another --state-dir`,
    );
  }
  for (const p of [paths.pidFile, paths.adminSocket, paths.stateFile]) rmSync(p, { force: true });
  try {
    writeFileSync(paths.pidFile, `${pid}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UserError(`another \`serve up\` is starting in ${paths.dir}: wait for it or use another --state-dir`);
    }
    throw err;
  }
}

/** Removes what a running controller keeps in the directory (logs stay). */
export function releaseStateDir(paths: StatePaths): void {
  for (const p of [paths.pidFile, paths.adminSocket, paths.stateFile]) rmSync(p, { force: true });
}

/** Writes state.json atomically (write then rename), so readers never see half a file. */
export function writeStateFile(paths: StatePaths, state: ClusterStateFile): void {
  const tmp = `${paths.stateFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, paths.stateFile);
}

/** Reads state.json of a running cluster, or throws UnreachableError (exit 3) saying none runs. */
export function readStateFile(paths: StatePaths): ClusterStateFile {
  if (runningPid(paths) === undefined || !existsSync(paths.stateFile)) throw notRunning(paths);
  try {
    return JSON.parse(readFileSync(paths.stateFile, 'utf8')) as ClusterStateFile;
  } catch {
    throw notRunning(paths);
  }
}

/** The one-line error for "nothing is running here". */
export function notRunning(paths: StatePaths): UnreachableError {
  return new UnreachableError(`no cluster is running in ${paths.dir}: start one with \`serve up --profile <profile>\``);
}
