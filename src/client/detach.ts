// Running `serve up` in the background (control plane): re-spawns the CLI detached from the
// terminal, output to <state-dir>/logs/up.log (which the controller rotates), and leaves it running
// when this process exits.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, readSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { DiskFullError, PendingFile } from '../common/atomic-write.js';
import { lstatIfAny, openAppend, openRead } from '../common/no-follow.js';
import type { StatePaths } from '../common/state-layout.js';
import { prepareStateDir } from '../common/state-dir-guard.js';

/** A background controller as its starter sees it. */
export interface DetachedChild {
  pid: number;
  /** <state-dir>/logs/up.log, shared by every run in this state directory. */
  outputLog: string;
  /** Size of up.log before this run: what this run wrote starts there. */
  outputStartBytes: number;
  /** Its inode then: if the controller rotated it since, this run's start is in up.log.1. */
  outputIno: number;
  exited: Promise<number | null>;
}

/**
 * Starts `node <cliEntry> <args>` in its own session; returns its pid and where its output goes.
 * The state directory is checked first (a UserError, and nothing started, if it is not safe to
 * use, or DiskFullError if its disk takes no file) and up.log is opened without following a link.
 */
export function spawnDetached(cliEntry: string, args: readonly string[], paths: StatePaths): DetachedChild {
  prepareStateDir(paths);
  checkDiskTakesFiles(paths);
  const outputLog = path.join(paths.logsDir, 'up.log');
  const fd = openAppend(outputLog);
  let outputStartBytes: number;
  let outputIno: number;
  let child;
  try {
    ({ size: outputStartBytes, ino: outputIno } = fstatSync(fd));
    child = spawn(process.execPath, [cliEntry, ...args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      cwd: process.cwd(),
    });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the background controller');
  return { pid: child.pid, outputLog, outputStartBytes, outputIno, exited };
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

/**
 * The error for a background controller that exited without a word: the disk of the state directory
 * is full (it could not write its error to up.log), or undefined when that is not it.
 */
export function silentFailureCause(paths: StatePaths): DiskFullError | undefined {
  try {
    const fs = statfsSync(paths.dir);
    return fs.bavail === 0 ? new DiskFullError(paths.pidFile, 'ENOSPC') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The lines this run wrote to its output log: from `fromBytes` on, at most the last 64 KiB (none
 * through a link). Rotated since (its inode is not `fromIno`): the end of up.log.1, then up.log.
 */
export function outputSince(outputLog: string, fromBytes: number, fromIno?: number): string[] {
  const now = lstatIfAny(outputLog);
  if (fromIno !== undefined && now !== undefined && now.ino !== fromIno)
    return [...linesFrom(`${outputLog}.1`, fromBytes), ...linesFrom(outputLog, 0)].slice(-2000);
  return linesFrom(outputLog, fromBytes);
}

function linesFrom(outputLog: string, fromBytes: number): string[] {
  let fd: number | undefined;
  try {
    fd = openRead(outputLog);
  } catch {
    return [];
  }
  if (fd === undefined) return [];
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(fromBytes, size - 64 * 1024);
    const buf = Buffer.alloc(Math.max(0, size - start));
    const n = readSync(fd, buf, 0, buf.length, start);
    const lines = buf.subarray(0, n).toString('utf8').split('\n');
    if (start > fromBytes) lines.shift();
    if (lines.at(-1) === '') lines.pop();
    return lines;
  } finally {
    closeSync(fd);
  }
}
