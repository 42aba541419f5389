// Where an SSH destination really goes (control plane, hosts): OpenSSH itself resolves it (`ssh -G`
// applies ~/.ssh/config, ssh:// URLs and user@host:port), so aliases work and host keys are looked
// up under the name OpenSSH uses: `host` on port 22, `[host]:port` on any other.
import { runProcess } from './run-process.js';

/** A destination resolved by OpenSSH. */
export interface SshTarget {
  /** As the profile wrote it (what ssh is given). */
  destination: string;
  hostname: string;
  port: number;
  user: string;
  /** HostKeyAlias from the ssh configuration, if any. */
  hostKeyAlias?: string;
}

/** The keys of `ssh -G` output this needs, from its `key value` lines. Pure. */
export function parseSshConfigDump(destination: string, text: string): SshTarget {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (m && !values.has(m[1]!.toLowerCase())) values.set(m[1]!.toLowerCase(), m[2]!);
  }
  const alias = values.get('hostkeyalias');
  return {
    destination,
    hostname: values.get('hostname') ?? destination,
    port: Number(values.get('port') ?? 22) || 22,
    user: values.get('user') ?? '',
    ...(alias && alias !== 'none' ? { hostKeyAlias: alias } : {}),
  };
}

/** The name known_hosts lists the host's key under, as OpenSSH looks it up. */
export function knownHostsName(t: SshTarget): string {
  if (t.hostKeyAlias) return t.hostKeyAlias;
  return t.port === 22 ? t.hostname : `[${t.hostname}]:${t.port}`;
}

/** "ops@10.0.0.5:2222": the target for messages. */
export function describeTarget(t: SshTarget): string {
  return `${t.user ? `${t.user}@` : ''}${t.hostname}${t.port === 22 ? '' : `:${t.port}`}`;
}

/**
 * Resolves `destination` with `ssh -G` (reads only configuration, never connects). Throws an Error
 * with ssh's own words when it refuses the destination.
 */
export async function resolveTarget(destination: string, configFile: string | undefined): Promise<SshTarget> {
  const args = [...(configFile ? ['-F', configFile] : []), '-G', '--', destination];
  const r = await runProcess('ssh', args, { timeoutMs: 5000 });
  if (r.code !== 0) throw new Error(r.stderr.trim().split('\n').at(-1) || `ssh -G exited with ${r.code}`);
  return parseSshConfigDump(destination, r.stdout);
}
