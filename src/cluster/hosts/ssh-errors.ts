// What a failed ssh means, for people (control plane, hosts, pure): ssh's own stderr is matched
// to the four failures an operator must fix differently, each turned into one line naming the host
// and the fix. A connection that ssh refuses never becomes a prompt (BatchMode) or a hang (timeouts).
import { describeTarget, type SshTarget } from './ssh-target.js';

export type SshFailureKind = 'unknown-host-key' | 'changed-host-key' | 'refused' | 'unreachable' | 'other';

export interface SshFailure {
  kind: SshFailureKind;
  /** One line: the host, what happened, the fix. */
  message: string;
}

/** What the messages need besides ssh's output. */
export interface FailureContext {
  hostName: string;
  target: SshTarget;
  knownHostsFile: string;
  identityFile?: string;
  /** The command that records the host's key, e.g. "serve hosts trust gpu-1 --profile prod". */
  trustCommand: string;
  connectTimeoutMs: number;
}

/**
 * Classifies ssh's failure from its stderr (and whether our own time limit ran out: `loginTimeoutMs`
 * when that limit was the whole login's, not the connect timeout).
 */
export function classifySshFailure(
  rawStderr: string,
  timedOut: boolean,
  c: FailureContext,
  loginTimeoutMs?: number,
): SshFailure {
  const stderr = rawStderr.replace(/\r/g, '');
  const who = `host ${c.hostName} (${describeTarget(c.target)})`;
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) =>
        l &&
        !l.startsWith('@') &&
        !/^(IT IS POSSIBLE|Someone could|It is also possible|Please contact|Add correct host key|Offending|Host key for|ECDSA host key|RSA host key|ED25519 host key)/.test(
          l,
        ),
    );
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|host key for .* has changed/i.test(stderr)) {
    return {
      kind: 'changed-host-key',
      message:
        `${who}: its host key has CHANGED since it was recorded in ${c.knownHostsFile} ` +
        `(a reinstalled host, or someone in between): ` +
        `check the new fingerprint with the host's owner, then run \`${c.trustCommand}` +
        `\` to replace it`,
    };
  }
  if (/host key is known for|Host key verification failed/i.test(stderr)) {
    return {
      kind: 'unknown-host-key',
      message:
        `${who}: its host key is not in ${c.knownHostsFile}, and serve never accepts a ` +
        `key unseen: ` +
        `check its fingerprint and run \`${c.trustCommand}\``,
    };
  }
  if (/Permission denied \(|Too many authentication failures|no such identity/i.test(stderr)) {
    const key = c.identityFile ? `the public key of ssh.identity_file (${c.identityFile}.pub)` : 'your public key';
    const user = c.target.user || 'the user';
    return {
      kind: 'refused',
      message:
        `${who}: ${user} was refused (` +
        `${firstMatch(stderr, /Permission denied \([^)]*\)|Too many authentication failures|no such identity[^\n]*/i)}): ` +
        `add ${key} to ~${c.target.user}/.ssh/authorized_keys on that host, or set ` +
        `ssh.identity_file to a key it accepts`,
    };
  }
  const unreachable =
    /Connection timed out|timed out during banner|Connection refused|No route to host|Network is unreachable|Could not resolve hostname|Name or service not known|Temporary failure in name resolution|Connection closed by|Connection reset|kex_exchange_identification|(?<=connect to host \S+ port \d+: )[^\n]+/i;
  if (timedOut || unreachable.test(stderr)) {
    const why = !timedOut
      ? firstMatch(stderr, unreachable)
      : loginTimeoutMs === undefined
        ? `no answer within ${Math.round(c.connectTimeoutMs / 1000)}s`
        : `timed out: the login did not finish within ${formatSeconds(loginTimeoutMs)}`;
    return {
      kind: 'unreachable',
      message:
        `${who}: cannot connect (${why}): check the host's ssh destination in the ` +
        `profile, that sshd runs there, and that this machine can reach it`,
    };
  }
  return { kind: 'other', message: `${who}: ssh failed: ${lines.at(-1) ?? 'no message'}` };
}

function firstMatch(text: string, re: RegExp): string {
  return re.exec(text)?.[0] ?? 'no answer';
}

/** How a command over SSH ended, as run-process.ts reports it. */
export interface CommandEnd {
  code: number | null;
  stderr: string;
  timedOut: boolean;
  spawnError?: string;
}

/**
 * Why a command over SSH failed, in a few words: no answer within the time it had, its last line
 * on stderr, the reason ssh could not start, or its exit status (never empty).
 */
export function commandFailureCause(r: CommandEnd, timeoutMs: number): string {
  if (r.timedOut) return `no answer within ${formatSeconds(timeoutMs)}`;
  const last = r.stderr
    .replace(/\r/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1);
  if (last) return last;
  if (r.spawnError) return `ssh could not start: ${r.spawnError}`;
  return r.code === null ? 'ended by a signal, with no message' : `exit ${r.code}, with no message`;
}

/**
 * How the master ssh of a host that was up ended, for "lost the SSH connection to ... (WHY)": the
 * heartbeat verdict, else ssh's last stderr line, else its exit code or the signal that ended it.
 */
export function lostConnectionCause(
  echoLost: string | undefined,
  stderr: string,
  code: number | null,
  signal: NodeJS.Signals | null,
): string {
  const last = stderr
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .at(-1);
  return echoLost ?? last ?? (code !== null ? `ssh exited with ${code}` : `ssh was ended by ${signal ?? 'a signal'}`);
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
}
