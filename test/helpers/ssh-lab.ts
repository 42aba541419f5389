// Real SSH test hosts (test helper): each is Debian's sshd running as root in a network namespace
// of its own (a veth pair to this namespace, 10.231.N.0/30), with generated host and user keys
// and a known_hosts file. The namespaces share this filesystem, so a host's "workdir" can be this
// checkout. Everything is removed afterwards, even when a test fails.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { hasTool } from './tools.js';

const SSHD = '/usr/sbin/sshd';

/** One sshd in its namespace. */
export interface TestHost {
  name: string;
  ns: string;
  address: string;
  port: number;
  /** `ssh://root@ADDRESS:PORT`, for a profile's hosts[].ssh. */
  destination: string;
  /** The known_hosts name ssh looks the key up by: `[ADDRESS]:PORT`. */
  keyName: string;
  hostKey: string;
  /** Folder on this host's PATH for sshd sessions (a stand-in nvidia-smi goes here). */
  binDir: string;
  /** Cuts the host off: packets to it vanish (nothing answers, nothing is refused). */
  cut(): void;
  restore(): void;
  /** Stops (SIGSTOP) every process of the host, sshd included: a hung host whose kernel still answers TCP. */
  freeze(): void;
  thaw(): void;
  /** Kills (SIGKILL) every process of the host, sshd included: a host that went down whole. */
  kill(): void;
  /** Starts its sshd again (after kill): the host is back; resolves once it listens. */
  start(): Promise<void>;
  /** Pids of processes in the namespace other than sshd's own. */
  ourPids(): number[];
}

export interface SshLab {
  dir: string;
  /** The user key every host accepts, and one none accepts. */
  userKey: string;
  strangerKey: string;
  /** Lists every host's key. */
  knownHosts: string;
  hosts: TestHost[];
  cleanup(): void;
}

let whyNot: string | undefined | null = null;

/** Why real SSH hosts cannot be made here (not root, no netns, no sshd...), or undefined if they can. */
function labUnavailable(): string | undefined {
  if (whyNot !== null) return whyNot;
  whyNot = undefined;
  if (process.getuid?.() !== 0) whyNot = 'SSH host tests need root (network namespaces and sshd)';
  else if (!existsSync(SSHD))
    whyNot = `${SSHD} not found: install Debian's openssh-server (apt-get install openssh-server), as .ci/run does`;
  else {
    const missing = ['ssh', 'ssh-keygen', 'ssh-keyscan', 'ip'].find((c) => !hasTool('sh', ['-c', `command -v ${c}`]));
    if (missing)
      whyNot = `${missing} not found: install Debian's ${missing === 'ip' ? 'iproute2' : 'openssh-client'}, as .ci/run does`;
  }
  if (whyNot === undefined) {
    const probe = `serve-probe-${process.pid}`;
    const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
    if (add.status !== 0)
      whyNot = `cannot create a network namespace (ip netns add: ${(add.stderr || add.error?.message || '').trim()}): install iproute2 and run as root`;
    else spawnSync('ip', ['netns', 'del', probe]);
  }
  return whyNot;
}

/**
 * True when real SSH hosts can be made. Otherwise the test is skipped with the reason on a laptop,
 * and fails under CI=true, where .ci/run must have installed openssh-server and iproute2.
 */
export function needSshLab(t: { skip(message?: string): void }): boolean {
  const why = labUnavailable();
  if (why === undefined) return true;
  if (process.env.CI === 'true' || process.env.CI === '1')
    assert.fail(`${why} (CI=true: a missing system component is a failure, not a skip)`);
  t.skip(why);
  return false;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A /30 of 10.231.0.0/16 no interface here uses yet. */
function freeSubnet(taken: Set<number>): number {
  const used = sh('ip', ['-4', '-o', 'addr', 'show']);
  for (let tries = 0; tries < 500; tries++) {
    const n = 1 + Math.floor(Math.random() * 250);
    if (!taken.has(n) && !used.includes(`10.231.${n}.`)) {
      taken.add(n);
      return n;
    }
  }
  throw new Error('no free 10.231.N.0/30 subnet');
}

/** Makes `count` SSH hosts (names h1, h2 ...), each sshd on port 2200+i; `sshdConfig` lines override. */
export async function startSshLab(count: number, o: { sshdConfig?: readonly string[] } = {}): Promise<SshLab> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-ssh-'));
  chmodSync(dir, 0o755);
  const hosts: TestHost[] = [];
  const tag = `${process.pid % 100000}`;
  const cleanups: Array<() => void> = [];
  const cleanup = () => {
    for (const c of cleanups.reverse()) {
      try {
        c();
      } catch {
        // Keep cleaning up the rest.
      }
    }
    cleanups.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const userKey = path.join(dir, 'user_key');
    const strangerKey = path.join(dir, 'stranger_key');
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'serve-test', '-f', userKey]);
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stranger', '-f', strangerKey]);
    writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(`${userKey}.pub`));
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const known: string[] = [];
    const taken = new Set<number>();
    for (let i = 1; i <= count; i++) {
      const host = makeHost(dir, `h${i}`, `sv${tag}-${i}`, freeSubnet(taken), 2200 + i, cleanups, o.sshdConfig ?? []);
      hosts.push(host);
      known.push(`${host.keyName} ${readFileSync(`${host.hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}`);
    }
    const knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(knownHosts, known.join('\n') + '\n');
    await Promise.all(hosts.map((h) => waitListening(h.address, h.port, 10_000)));
    return { dir, userKey, strangerKey, knownHosts, hosts, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

function makeHost(
  dir: string,
  name: string,
  ns: string,
  subnet: number,
  port: number,
  cleanups: Array<() => void>,
  extra: readonly string[],
): TestHost {
  const hostDir = path.join(dir, name);
  const binDir = path.join(hostDir, 'bin');
  mkdirSync(binDir, { recursive: true });
  const address = `10.231.${subnet}.2`;
  // Interface names have at most 15 characters.
  const vethHere = `sv${subnet}h${port}`.slice(0, 15);
  const vethThere = `sv${subnet}n${port}`.slice(0, 15);
  const hostKey = path.join(hostDir, 'host_key');
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  const pidFile = path.join(hostDir, 'sshd.pid');
  writeFileSync(
    path.join(hostDir, 'sshd_config'),
    [
      // sshd takes the first value of a keyword: overrides go first.
      ...extra,
      `Port ${port}`,
      `ListenAddress ${address}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      `PidFile ${pidFile}`,
      'MaxSessions 64',
      'MaxStartups 64',
      // A home of its own (removed with the lab): what serve leaves in $HOME/.serve there goes with it.
      `SetEnv PATH=${binDir}:/usr/local/bin:/usr/bin:/bin HOME=${path.join(hostDir, 'home')}`,
      '',
    ].join('\n'),
  );
  sh('ip', ['netns', 'add', ns]);
  cleanups.push(() => {
    killNamespace(ns);
    spawnSync('ip', ['netns', 'del', ns]);
  });
  sh('ip', ['link', 'add', vethHere, 'type', 'veth', 'peer', 'name', vethThere]);
  cleanups.push(() => spawnSync('ip', ['link', 'del', vethHere]));
  cleanups.push(() => spawnSync('ip', ['route', 'del', 'blackhole', `${address}/32`]));
  sh('ip', ['link', 'set', vethThere, 'netns', ns]);
  sh('ip', ['addr', 'add', `10.231.${subnet}.1/30`, 'dev', vethHere]);
  sh('ip', ['link', 'set', vethHere, 'up']);
  const inNs = (...args: string[]) => sh('ip', ['netns', 'exec', ns, ...args]);
  inNs('ip', 'addr', 'add', `${address}/30`, 'dev', vethThere);
  inNs('ip', 'link', 'set', vethThere, 'up');
  inNs('ip', 'link', 'set', 'lo', 'up');
  const startSshd = () => inNs(SSHD, '-f', path.join(hostDir, 'sshd_config'), '-E', path.join(hostDir, 'sshd.log'));
  startSshd();
  const sshdPid = () => Number(readFileSync(pidFile, 'utf8').trim());
  return {
    name,
    ns,
    address,
    port,
    destination: `ssh://root@${address}:${port}`,
    keyName: `[${address}]:${port}`,
    hostKey,
    binDir,
    // A blackhole route: packets to the host vanish, no error comes back (a partition, not a refusal).
    cut: () => void sh('ip', ['route', 'add', 'blackhole', `${address}/32`]),
    restore: () => void spawnSync('ip', ['route', 'del', 'blackhole', `${address}/32`]),
    freeze: () => signalNamespace(ns, 'SIGSTOP'),
    thaw: () => signalNamespace(ns, 'SIGCONT'),
    kill: () => killNamespace(ns),
    start: async () => {
      startSshd();
      await waitListening(address, port, 10_000);
    },
    ourPids: () => namespacePids(ns).filter((pid) => pid !== sshdPid() && !isSshd(pid)),
  };
}

function namespacePids(ns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean).map(Number) : [];
}

/** sshd itself and its per-connection processes ("sshd: root@notty") are the host's, not ours. */
function isSshd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sshd');
  } catch {
    return true; // gone
  }
}

function signalNamespace(ns: string, signal: NodeJS.Signals): void {
  for (const pid of namespacePids(ns)) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

function killNamespace(ns: string): void {
  signalNamespace(ns, 'SIGCONT');
  signalNamespace(ns, 'SIGKILL');
}

async function waitListening(address: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: address, port, timeout: 500 }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
      s.on('timeout', () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd on ${address}:${port} did not listen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes a stand-in nvidia-smi into `binDir` that prints `rows` ("0, Fake GPU, 16384, 1024, 7" each). */
export function fakeNvidiaSmi(binDir: string, rows: readonly string[]): void {
  const file = path.join(binDir, 'nvidia-smi');
  writeFileSync(file, `#!/bin/sh\ncat <<'EOF'\n${rows.join('\n')}\nEOF\n`);
  chmodSync(file, 0o755);
}
