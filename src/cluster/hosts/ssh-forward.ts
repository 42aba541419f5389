// A unix socket here that reaches a unix socket on an SSH host (control plane, hosts; issue 26):
// OpenSSH's socket forwarding, asked of the host's running master (`ssh -O forward -L here:there`),
// so each connection to the socket here is one channel of the existing connection. It lives as long
// as the master: after a controller died, the next one forwards again over its own master.
import { rmSync } from 'node:fs';
import { runProcess } from './run-process.js';

/** How long one `ssh -O forward` or `-O cancel` may take (the master answers at once). */
const FORWARD_TIMEOUT_MS = 5000;

/**
 * The ssh arguments that ask the master to forward (or cancel forwarding) `local` to `remote`, from
 * a session's arguments (which end with `--` and the destination). ClearAllForwardings=no comes
 * first: ssh takes the first value, and the sessions' ClearAllForwardings=yes would drop the -L.
 */
export function forwardArgs(
  sessionArgs: readonly string[],
  op: 'forward' | 'cancel',
  local: string,
  remote: string,
): string[] {
  const dash = sessionArgs.lastIndexOf('--');
  if (dash < 0 || dash !== sessionArgs.length - 2) throw new Error('session arguments must end with -- <destination>');
  for (const p of [local, remote])
    if (!p.startsWith('/') || p.includes(':')) throw new Error(`bad socket path for a forward: ${p}`);
  return [
    '-o',
    'ClearAllForwardings=no',
    ...sessionArgs.slice(0, dash),
    '-O',
    op,
    '-L',
    `${local}:${remote}`,
    ...sessionArgs.slice(dash),
  ];
}

/** Forwards `local` (a path in this machine's run directory, removed first) to `remote`; resolves with the failure, if any. */
export async function forwardSocket(
  sessionArgs: readonly string[],
  local: string,
  remote: string,
): Promise<string | undefined> {
  rmSync(local, { force: true });
  const r = await runProcess('ssh', forwardArgs(sessionArgs, 'forward', local, remote), {
    timeoutMs: FORWARD_TIMEOUT_MS,
  });
  if (r.code === 0) return undefined;
  return r.spawnError ?? (r.stderr.trim().split('\n').at(-1) || `ssh -O forward exited with ${r.code}`);
}

/** Cancels the forward (if the master still runs) and removes the socket here. Never rejects. */
export async function cancelForward(sessionArgs: readonly string[], local: string, remote: string): Promise<void> {
  await runProcess('ssh', forwardArgs(sessionArgs, 'cancel', local, remote), { timeoutMs: FORWARD_TIMEOUT_MS });
  rmSync(local, { force: true });
}
