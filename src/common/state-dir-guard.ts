// Trusting a state directory before writing in it (common: the controller and a detached start): it
// and its logs/ must be ours and writable by nobody else, ours but readable by others is tightened to
// 0700, and no link (or anything but a file) may sit where serve keeps a file.
import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { asDiskError } from './atomic-write.js';
import { UserError, errorMessage } from './errors.js';
import { requireRegularIfAny } from './no-follow.js';
import type { StatePaths } from './state-layout.js';

/** What serve writes under logs/: <component>.log and its rotated generations <component>.log.N. */
const LOG_FILE = /\.log(\.\d+)?$/;

/**
 * Creates the state directory and its logs/ (mode 0700), or checks the ones already there, before
 * anything is written in them. Throws a UserError (exit 2) naming the directory and the fix if
 * either is not a directory, is owned by another user or is writable by group or others, if logs/
 * is a link, or if a link or another non-file sits where serve keeps a file (serve.pid, its lock,
 * state.json, admin.sock, logs/*.log). One of ours that others can read is chmod'ed to 0700.
 */
export function prepareStateDir(paths: StatePaths): void {
  makeDir(paths.dir, true);
  // The directory itself may be reached through a link (it is judged where it points); nothing in it may.
  checkDir(paths.dir, 'state directory', statOf(paths, paths.dir, statSync));
  makeDir(paths.logsDir, false);
  const logs = statOf(paths, paths.logsDir, lstatSync);
  if (logs.isSymbolicLink()) {
    throw new UserError(
      `${paths.logsDir} is a symbolic link, and serve never follows links in its ` + `state directory: remove it`,
    );
  }
  checkDir(paths.logsDir, 'logs folder', logs);
  for (const file of [paths.pidFile, `${paths.pidFile}.lock`, paths.stateFile, paths.sdFile, paths.journalFile])
    requireRegularIfAny(file);
  requireRegularIfAny(paths.adminSocket, true);
  for (const name of readdirSync(paths.logsDir)) {
    if (LOG_FILE.test(name)) requireRegularIfAny(path.join(paths.logsDir, name));
  }
}

/** mkdir with mode 0700; one already there (or anything else there) is left for the checks. */
function makeDir(dir: string, recursive: boolean): void {
  try {
    mkdirSync(dir, { recursive, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A full disk can refuse a new folder too: said as such, naming where.
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw asDiskError(err, dir);
  }
}

function statOf(paths: StatePaths, dir: string, stat: (p: string) => Stats): Stats {
  try {
    return stat(dir);
  } catch (err) {
    throw new UserError(`--state-dir ${paths.dir} cannot be used: ${errorMessage(err)}`);
  }
}

function checkDir(dir: string, what: string, st: Stats): void {
  if (!st.isDirectory()) {
    throw new UserError(`${what} ${dir} is not a directory: remove it or choose another --state-dir`);
  }
  const uid = process.geteuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new UserError(
      `${what} ${dir} is owned by uid ${st.uid}, not by you (uid ${uid}): serve only ` +
        `uses a state directory of your own; choose another --state-dir`,
    );
  }
  const mode = st.mode & 0o777;
  if (mode & 0o022) {
    throw new UserError(
      `${what} ${dir} is writable by group or others (mode ` +
        `${mode.toString(8).padStart(4, '0')}), so its files cannot be trusted: ` +
        `check them and run \`chmod 700 ${dir}\`, or choose another --state-dir`,
    );
  }
  // Pid, socket path, profile and logs are nobody else's business either.
  if (mode & 0o077) chmodSync(dir, 0o700);
}
