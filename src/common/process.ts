// Process facts shared by planes that may not import each other (common): liveness by pid, start
// time and command line (to tell a pid file's owner from a later process that got its pid).
import { readdirSync, readFileSync } from 'node:fs';

/**
 * True if a process with this pid exists and has not exited: a signal 0 probe (EPERM means it
 * exists but is not ours), and, where /proc can be read, its state is not Z or X. A zombie (exited,
 * not yet reaped by its parent) still answers signal 0 but is dead, so every caller (a stale pid
 * file, `serve up`, `serve status`, `serve down`'s wait) agrees that it is gone.
 */
export function isAlive(pid: number): boolean {
  // kill(0 or negative) would probe a whole process group.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const state = processState(pid);
  return state !== 'Z' && state !== 'X';
}

/** The state letter of /proc/<pid>/stat (R, S, D, T, Z ...), or undefined where it cannot be read. */
function processState(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces and parentheses: the state follows the last ')'.
    return text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3) || undefined;
  } catch {
    return undefined;
  }
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined. */
export function readStartTicks(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isInteger(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** The argument vector of a process (/proc/<pid>/cmdline), or undefined if unreadable. */
export function readCmdline(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return text.split('\0').filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

/** The process group of a process (field 5 of /proc/<pid>/stat), or undefined if unreadable. */
export function readProcessGroup(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const pgid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[2]);
    return Number.isInteger(pgid) ? pgid : undefined;
  } catch {
    return undefined;
  }
}

/** The live (not zombie) processes of process group `pgid`, from /proc (empty where it cannot be read). */
export function groupMembers(pgid: number): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => readProcessGroup(pid) === pgid && isAlive(pid));
}
