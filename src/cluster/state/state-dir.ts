// The state directory of one cluster, the owner's side (control plane): `serve up` claims it,
// writes state.json and releases it; the layout and the readers' side are common/state-layout.ts.
import { linkSync, lutimesSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PendingFile, asDiskError, isTempOf, replaceFile } from '../../common/atomic-write.js';
import { UserError } from '../../common/errors.js';
import type { ClusterStateFile } from '../../common/wire.js';
import { removeEntry } from '../../common/no-follow.js';
import { ownerAlive, readPidFile, type StatePaths } from '../../common/state-layout.js';
import { isAlive, readStartTicks } from '../../common/process.js';
import { prepareStateDir } from '../../common/state-dir-guard.js';

export {
  DEFAULT_STATE_DIR,
  checkSocketPath,
  notRunning,
  runningPid,
  statePaths,
  type StatePaths,
} from '../../common/state-layout.js';

function alreadyRunning(paths: StatePaths, pid: number): UserError {
  return new UserError(
    `a cluster is already running in ${paths.dir} (pid ${pid}): stop it with ` +
      `\`serve down --state-dir ${paths.dir}\` or use another --state-dir`,
  );
}

/**
 * Takes the directory for this process, atomically: the pid file is written whole (and fsync'ed)
 * under a temp name beside it and link()ed into place, which fails if any pid file exists, so of several `serve up`
 * racing exactly one wins. A pid file of a dead (or reused) owner is removed only under a lock
 * (serve.pid.lock, taken the same way) and only if it still holds what was read, then the claim
 * is tried once more: so a fresh claim by someone else is never deleted. The directory is checked
 * first (prepareStateDir: ours, private, no links where our files go); link(2) never follows a link
 * at its target and the temp file is created exclusively, so no write here goes through a link.
 * A full disk is a DiskFullError naming the directory (exit 2), and no temp file is left.
 */
export function claimStateDir(paths: StatePaths, pid = process.pid): void {
  prepareStateDir(paths);
  const startTicks = readStartTicks(pid);
  const lockFile = `${paths.pidFile}.lock`;
  const pending = PendingFile.open(paths.pidFile, { mode: 0o600 });
  const tmp = pending.temp;
  try {
    pending.write(`${pid}\n${startTicks === undefined ? '' : `start=${startTicks}\n`}`);
    pending.finish();
    if (tryLink(tmp, paths.pidFile)) return cleanLeftovers(paths);
    const stale = readPidFile(paths);
    // Our own pid counts too: a second startCluster in one process must not take the first's place.
    if (stale && ownerAlive(stale)) throw alreadyRunning(paths, stale.pid);
    if (!tryLink(tmp, lockFile)) {
      const holder = readPidFile({ ...paths, pidFile: lockFile });
      const hint = holder && ownerAlive(holder) ? '' : ` (if none is, remove ${lockFile})`;
      throw new UserError(
        `another \`serve up\` is starting in ${paths.dir}: wait for it or use another ` + `--state-dir${hint}`,
      );
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
    pending.discard();
  }
}

/** link(2) `from` to `to`; false if `to` exists. */
function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw asDiskError(err, to);
  }
}

/** The files whose temp files (of a dead process) are removed when the claim is ours. */
const REPLACED = ['serve.pid', 'state.json'];

/** Removes what a dead owner left behind, once the claim is ours: its files and its temp files. */
function cleanLeftovers(paths: StatePaths): void {
  for (const p of [paths.adminSocket, paths.stateFile, paths.sdFile]) removeEntry(p);
  const names = [...REPLACED, path.basename(paths.sdFile)];
  for (const entry of readdirSync(paths.dir)) {
    // Also the names serve used before (state.json.<pid>.tmp), left by a full disk.
    const legacy = /^(.+)\.(\d+)\.tmp$/.exec(entry);
    const temp =
      names.map((n) => isTempOf(n, entry)).find((x) => x !== undefined) ??
      (legacy && names.includes(legacy[1]!) ? { pid: Number(legacy[2]) } : undefined);
    // Our own pid: a dead process that had it left them (ours are never left; the claim's is linked already).
    if (temp && (temp.pid === process.pid || !isAlive(temp.pid))) removeEntry(path.join(paths.dir, entry));
  }
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
 * Writes state.json atomically (replaceFile: a temp file beside it, fsync, rename), so readers never
 * see half a file; rename(2) replaces a link at state.json instead of writing through it. Throws
 * DiskFullError on a full disk (the controller retries: cluster/write-retry.ts).
 */
export function writeStateFile(paths: StatePaths, state: ClusterStateFile): void {
  replaceFile(paths.stateFile, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

/** Writes the controller's journal (controller.json) atomically, as state.json (replaceFile). */
export function writeJournal(paths: StatePaths, text: string): void {
  replaceFile(paths.journalFile, text, { mode: 0o600 });
}

/** Sets the journal's mtime to now (the heartbeat); lutimes never follows a link. */
export function touchJournal(paths: StatePaths, nowMs = Date.now()): void {
  const t = new Date(nowMs);
  lutimesSync(paths.journalFile, t, t);
}
