// The state directory of one cluster, the owner's side (control plane): `serve up` claims it,
// writes state.json and releases it; the layout and the readers' side are common/state-layout.ts.
import { linkSync, lutimesSync, renameSync } from 'node:fs';
import { UserError } from '../common/errors.js';
import type { ClusterStateFile } from '../common/wire.js';
import { removeEntry, writeNewFile } from '../common/no-follow.js';
import { ownerAlive, readPidFile, type StatePaths } from '../common/state-layout.js';
import { readStartTicks } from '../common/process.js';
import { prepareStateDir } from '../common/state-dir-guard.js';

export { DEFAULT_STATE_DIR, checkSocketPath, notRunning, runningPid, statePaths, type StatePaths } from '../common/state-layout.js';

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
  for (const p of [paths.adminSocket, paths.stateFile, paths.sdFile]) removeEntry(p);
}

/**
 * Removes what a running controller keeps in the directory (logs stay); only if we own it. The
 * journal goes too: a clean stop leaves nothing to report. (A dead controller's journal is kept by
 * the claim, so the next `serve up` can report it.)
 */
export function releaseStateDir(paths: StatePaths, pid = process.pid): void {
  if (readPidFile(paths)?.pid !== pid) return;
  // The targets go first: Prometheus stops scraping a cluster that is gone.
  for (const p of [paths.sdFile, paths.adminSocket, paths.stateFile, paths.journalFile, paths.pidFile]) removeEntry(p);
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

/**
 * Writes the controller's journal (controller.json) atomically, as state.json; on a failure no
 * temporary file is left. (To become the common atomic write when there is one.)
 */
export function writeJournal(paths: StatePaths, text: string): void {
  const tmp = `${paths.journalFile}.${process.pid}.tmp`;
  try {
    writeNewFile(tmp, text);
    renameSync(tmp, paths.journalFile);
  } catch (err) {
    removeEntry(tmp);
    throw err;
  }
}

/** Sets the journal's mtime to now (the heartbeat); lutimes never follows a link. */
export function touchJournal(paths: StatePaths, nowMs = Date.now()): void {
  const t = new Date(nowMs);
  lutimesSync(paths.journalFile, t, t);
}
