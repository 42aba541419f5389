// What a background controller wrote (client): the lines of this run in <state-dir>/logs/up.log
// (through a rotation), and the cause of a controller that exited without a word (a full disk).
import { closeSync, fstatSync, readSync, statfsSync } from 'node:fs';
import { DiskFullError } from '../common/atomic-write.js';
import { lstatIfAny, openRead } from '../common/no-follow.js';
import type { StatePaths } from '../common/state-layout.js';

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
