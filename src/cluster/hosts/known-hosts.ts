// Host keys (control plane, hosts): looked up, fingerprinted and recorded with OpenSSH's own tools
// (ssh-keygen -F finds hashed entries and [host]:port names as ssh does; ssh-keyscan fetches a
// host's keys), so serve and ssh can never disagree about what is trusted.
import { appendFileSync, chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { runProcess } from './run-process.js';
import { seconds } from './ssh-options.js';
import { knownHostsName, type SshTarget } from './ssh-target.js';

/** Fingerprints ("256 SHA256:... name (ED25519)") of the keys `file` records for the target; [] if none. */
export async function recordedFingerprints(file: string, target: SshTarget): Promise<string[]> {
  if (!existsSync(file)) return [];
  const r = await runProcess('ssh-keygen', ['-l', '-F', knownHostsName(target), '-f', file], { timeoutMs: 5000 });
  return r.code === 0 ? r.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')) : [];
}

/**
 * The host's public keys as known_hosts lines, fetched with ssh-keyscan (within the connect
 * timeout). Throws an Error when none came back.
 */
export async function scanHostKeys(target: SshTarget, connectTimeoutMs: number): Promise<string[]> {
  const r = await runProcess(
    'ssh-keyscan',
    ['-T', String(seconds(connectTimeoutMs)), '-p', String(target.port), '--', target.hostname],
    {
      timeoutMs: connectTimeoutMs + 5000,
    },
  );
  const name = knownHostsName(target);
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    // ssh-keyscan names the host as it connected; with a HostKeyAlias ssh looks the alias up.
    .map((l) => `${name} ${l.split(' ').slice(1).join(' ')}`);
  if (lines.length === 0) {
    const why =
      r.stderr
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'))
        .at(-1) ?? (r.timedOut ? 'no answer' : 'no keys returned');
    throw new Error(`ssh-keyscan got no host key from ${target.hostname} port ${target.port} (${why})`);
  }
  return lines;
}

/** Fingerprints of known_hosts lines, one per line, as ssh-keygen -l prints them. */
export async function fingerprintsOf(lines: readonly string[]): Promise<string[]> {
  const r = await runProcess('ssh-keygen', ['-l', '-f', '-'], { timeoutMs: 5000, input: lines.join('\n') + '\n' });
  if (r.code !== 0) throw new Error(`ssh-keygen could not fingerprint the keys: ${r.stderr.trim()}`);
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

/**
 * Records `lines` as the target's keys in `file`: entries it had for that name are removed first
 * (ssh-keygen -R, which keeps `file.old`), so a changed key is replaced, not added beside the old.
 * A new file is created 0600 in a 0700 folder.
 */
export async function recordHostKeys(file: string, target: SshTarget, lines: readonly string[]): Promise<void> {
  const fresh = !existsSync(file);
  if (fresh) mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  else {
    const r = await runProcess('ssh-keygen', ['-R', knownHostsName(target), '-f', file], { timeoutMs: 5000 });
    if (r.code !== 0) throw new Error(`ssh-keygen -R could not remove the old key from ${file}: ${r.stderr.trim()}`);
  }
  appendFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  if (fresh) chmodSync(file, 0o600);
}
