// Running `serve up` in the background (control plane): re-spawns the CLI detached from the
// terminal, output to <state-dir>/logs/up.log, and leaves it running when this process exits.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, readSync } from 'node:fs';
import path from 'node:path';
import { openAppend, openRead } from '../common/no-follow.js';
import type { StatePaths } from '../common/state-layout.js';
import { prepareStateDir } from '../common/state-dir-guard.js';

/** A background controller as its starter sees it. */
export interface DetachedChild {
  pid: number;
  /** <state-dir>/logs/up.log, shared by every run in this state directory. */
  outputLog: string;
  /** Size of up.log before this run: what this run wrote starts there. */
  outputStartBytes: number;
  exited: Promise<number | null>;
}

/**
 * Starts `node <cliEntry> <args>` in its own session; returns its pid and where its output goes.
 * The state directory is checked first (a UserError, and nothing started, if it is not safe to
 * use) and up.log is opened without following a link.
 */
export function spawnDetached(cliEntry: string, args: readonly string[], paths: StatePaths): DetachedChild {
  prepareStateDir(paths);
  const outputLog = path.join(paths.logsDir, 'up.log');
  const fd = openAppend(outputLog);
  let outputStartBytes: number;
  let child;
  try {
    outputStartBytes = fstatSync(fd).size;
    child = spawn(process.execPath, [cliEntry, ...args], { detached: true, stdio: ['ignore', fd, fd], cwd: process.cwd() });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the background controller');
  return { pid: child.pid, outputLog, outputStartBytes, exited };
}

/** The lines this run wrote to its output log: from `fromBytes` on, at most the last 64 KiB (none through a link). */
export function outputSince(outputLog: string, fromBytes: number): string[] {
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
