// The command a replica runs under on an SSH host (control plane, launchers, pure): a small POSIX
// sh wrapper that reports its pid (the process group serve signals there) and the exit status of
// the child on stderr, so the launcher can tell an exit from a lost connection.
import { constants } from 'node:os';
import { shellCommand, shellQuote } from '../hosts/index.js';

/** Prefix of the wrapper's own stderr lines. */
export const REMOTE_MARK = '@serve-remote';

/**
 * One command line for the host's login shell: `exec /bin/sh -c '<wrapper>'`. The wrapper traps
 * TERM and INT (so a group SIGTERM reaches the child, which drains, while the wrapper waits to
 * report how it ended), changes to `workdir`, sets `env` there and runs `command args`.
 */
export function remoteCommand(o: {
  workdir: string;
  env?: Readonly<Record<string, string>>;
  command: string;
  args: readonly string[];
}): string {
  const env = Object.entries(o.env ?? {}).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`bad environment variable name ${JSON.stringify(k)}`);
    return `${k}=${v}`;
  });
  const run = shellCommand([...(env.length > 0 ? ['env', ...env] : []), o.command, ...o.args]);
  const script = [
    `trap : TERM INT`,
    `echo "${REMOTE_MARK} pid=$$" >&2`,
    `cd ${shellQuote(o.workdir)} || { echo "${REMOTE_MARK} exit=97" >&2; exit 97; }`,
    run,
    `code=$?`,
    `echo "${REMOTE_MARK} exit=$code" >&2`,
    `exit $code`,
  ].join('\n');
  return `exec /bin/sh -c ${shellQuote(script)}`;
}

/** A wrapper line: its pid, or the child's exit status; undefined for any other line. */
export function parseRemoteMark(line: string): { pid: number } | { exit: number } | undefined {
  if (!line.startsWith(REMOTE_MARK)) return undefined;
  const m = /^@serve-remote (pid|exit)=(\d+)$/.exec(line.trim());
  if (!m) return undefined;
  return m[1] === 'pid' ? { pid: Number(m[2]) } : { exit: Number(m[2]) };
}

/** A shell's exit status as code or signal: 128+N is "killed by signal N". */
export function statusOf(status: number): { code: number | null; signal: string | null } {
  if (status > 128 && status < 128 + 65) {
    const name = Object.entries(constants.signals).find(([, n]) => n === status - 128)?.[0];
    if (name) return { code: null, signal: name };
  }
  return { code: status, signal: null };
}
