// The command a replica runs under on an SSH host (control plane, launchers, pure): a small POSIX
// sh wrapper that reports its pid (the process group serve signals there) and the exit status of
// the child on stderr, so the launcher can tell an exit from a lost connection.
import { constants } from 'node:os';
import { CHILD_ENV_ALLOW, ENV_NAME, type AllowedVariable } from '../../common/child-env.js';
import { shellCommand, shellQuote } from '../hosts/index.js';

/** Prefix of the wrapper's own stderr lines. */
export const REMOTE_MARK = '@serve-remote';

/**
 * One command line for the host's login shell: `exec /bin/sh -c '<wrapper>'`. The wrapper traps
 * TERM and INT (so a group SIGTERM reaches the child, which drains, while the wrapper waits to
 * report how it ended), changes to `workdir` and runs `command args` under `env -i`: the
 * allow-listed variables of the login environment there (common/child-env.ts), then `env`.
 */
export function remoteCommand(o: {
  workdir: string;
  env?: Readonly<Record<string, string>>;
  command: string;
  args: readonly string[];
}): string {
  const env = Object.entries(o.env ?? {}).map(([k, v]) => {
    if (!ENV_NAME.test(k)) throw new Error(`bad environment variable name ${JSON.stringify(k)}`);
    return `${k}=${v}`;
  });
  const run = `env -i "$@" ${shellCommand([...env, o.command, ...o.args])}`;
  const script = [
    `trap : TERM INT`,
    `echo "${REMOTE_MARK} pid=$$" >&2`,
    `cd ${shellQuote(o.workdir)} || { echo "${REMOTE_MARK} exit=97" >&2; exit 97; }`,
    keepAllowed(),
    run,
    `code=$?`,
    `echo "${REMOTE_MARK} exit=$code" >&2`,
    `exit $code`,
  ].join('\n');
  return `exec /bin/sh -c ${shellQuote(script)}`;
}

/**
 * Shell lines that set the positional parameters to NAME=VALUE for each allowed variable of the
 * wrapper's own environment (the host's login environment): `env` lists the exported names (a name
 * is [A-Za-z_][A-Za-z0-9_]*, so the eval below runs nothing but an assignment of our own making;
 * a value's line that only looks like NAME=... adds at most an allowed name, with its real value).
 */
export function keepAllowed(allow: readonly AllowedVariable[] = CHILD_ENV_ALLOW): string {
  const patterns = allow.map((a) => (a.prefix ? `${a.name}?*` : a.name)).join('|');
  return [
    `set --`,
    `for n in $(env | sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p'); do`,
    '  case $n in ' + patterns + ') eval "[ -n \\"\\${$n+x}\\" ] && set -- \\"\\$@\\" \\"$n=\\$$n\\"" ;; esac',
    `done`,
  ].join('\n');
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
