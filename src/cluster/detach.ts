// Running `serve up` in the background (control plane): re-spawns the CLI detached from the
// terminal, output to <state-dir>/logs/up.log, and leaves it running when this process exits.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { StatePaths } from './state-dir.js';

/** Starts `node <cliEntry> <args>` in its own session; returns its pid and where its output goes. */
export function spawnDetached(cliEntry: string, args: readonly string[], paths: StatePaths): { pid: number; outputLog: string; exited: Promise<number | null> } {
  mkdirSync(paths.logsDir, { recursive: true, mode: 0o700 });
  const outputLog = path.join(paths.logsDir, 'up.log');
  const fd = openSync(outputLog, 'a', 0o600);
  const child = spawn(process.execPath, [cliEntry, ...args], { detached: true, stdio: ['ignore', fd, fd], cwd: process.cwd() });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the background controller');
  return { pid: child.pid, outputLog, exited };
}
