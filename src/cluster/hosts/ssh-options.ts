// The options serve always gives the system ssh (control plane, hosts, pure): no prompts ever
// (BatchMode), host keys only from the profile's known_hosts and never accepted unseen, bounded
// connects, keep-alives that notice a dead host, no forwarding of any kind, one shared connection.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../common/errors.js';
import type { SshSettings } from '../../profile/types.js';
import type { SshTarget } from './ssh-target.js';

/** The profile's ssh section with paths made absolute (`~` expanded); configFile "none" reads no configuration file. */
export type SshConfig = SshSettings;

/** `~/x` -> home; others as written (ssh resolves relative paths against the working directory). */
export function expandHome(p: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  return p;
}

export function sshConfigOf(s: SshSettings): SshConfig {
  return {
    knownHostsFile: path.resolve(expandHome(s.knownHostsFile)),
    ...(s.identityFile ? { identityFile: path.resolve(expandHome(s.identityFile)) } : {}),
    ...(s.configFile ? { configFile: s.configFile === 'none' ? 'none' : path.resolve(expandHome(s.configFile)) } : {}),
    connectTimeoutMs: s.connectTimeoutMs,
    keepaliveMs: s.keepaliveMs,
    keepaliveCount: s.keepaliveCount,
  };
}

/** Whole seconds, at least 1 (ssh's options count seconds). */
export function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** How the connection is shared: the master owns the socket, sessions use it, one-shot checks neither. */
export type MuxRole =
  { role: 'master'; controlPath: string } | { role: 'session'; controlPath: string } | { role: 'none' };

/**
 * Every option of one ssh invocation, up to and including the destination (the remote command
 * follows). Options given here win over any ~/.ssh/config (ssh takes the first value it reads).
 */
export function sshArgs(c: SshConfig, target: SshTarget, mux: MuxRole): string[] {
  const o = (k: string, v: string | number) => ['-o', `${k}=${v}`];
  const args: string[] = [
    ...(c.configFile ? ['-F', c.configFile] : []),
    ...o('BatchMode', 'yes'), // never a password, passphrase or host-key prompt
    ...o('StrictHostKeyChecking', 'yes'), // an unknown or changed key is refused, never added
    ...o('UserKnownHostsFile', c.knownHostsFile),
    ...o('GlobalKnownHostsFile', '/dev/null'),
    ...o('UpdateHostKeys', 'no'), // known_hosts changes only through `serve hosts trust`
    ...o('ConnectTimeout', seconds(c.connectTimeoutMs)),
    ...o('ServerAliveInterval', seconds(c.keepaliveMs)),
    ...o('ServerAliveCountMax', c.keepaliveCount),
    ...o('EscapeChar', 'none'), // stdin carries JSON lines, never ~ escapes
    ...o('PermitLocalCommand', 'no'),
    ...o('RequestTTY', 'no'),
    '-a',
    '-x',
    ...o('ClearAllForwardings', 'yes'),
    ...o('ForwardAgent', 'no'),
    ...o('ForwardX11', 'no'),
    ...(c.identityFile ? ['-i', c.identityFile, ...o('IdentitiesOnly', 'yes')] : []),
    ...muxArgs(mux),
  ];
  // The destination as written, so ~/.ssh/config applies exactly as `ssh -G` resolved it; `--`
  // keeps a destination that starts with "-" from being read as an option.
  args.push('--', target.destination);
  return args;
}

function muxArgs(mux: MuxRole): string[] {
  if (mux.role === 'none') return ['-o', 'ControlMaster=no', '-o', 'ControlPath=none'];
  // The master lives exactly as long as its own session (our child): nothing persists after us.
  if (mux.role === 'master')
    return ['-o', 'ControlMaster=yes', '-o', `ControlPath=${mux.controlPath}`, '-o', 'ControlPersist=no'];
  return ['-o', 'ControlMaster=no', '-o', `ControlPath=${mux.controlPath}`];
}

// sun_path holds 108 bytes with the NUL; ssh binds "<ControlPath>.<16 random characters>" first.
const MAX_CONTROL_PATH_BYTES = 107 - 17;

/**
 * The control socket of one host: `<state dir>/ssh/<12 hex of a hash>`, short whatever the host's
 * name. Throws a UserError naming --state-dir when even that is too long for a unix socket.
 */
export function controlPathOf(stateDir: string, hostName: string, target: SshTarget): string {
  const hash = createHash('sha256')
    .update(`${hostName}\0${target.user}\0${target.hostname}\0${target.port}`)
    .digest('hex')
    .slice(0, 12);
  const p = path.join(stateDir, 'ssh', hash);
  if (Buffer.byteLength(p) > MAX_CONTROL_PATH_BYTES) {
    throw new UserError(
      `--state-dir ${stateDir} is too long for ssh's control sockets (` +
        `${Buffer.byteLength(p)} bytes with ssh/<hash>, at most ${MAX_CONTROL_PATH_BYTES}): ` +
        'use a shorter --state-dir, e.g. --state-dir /tmp/serve-state',
    );
  }
  return p;
}
