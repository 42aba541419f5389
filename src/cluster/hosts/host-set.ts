// The hosts of a running cluster (control plane, hosts): connects every SSH host at `serve up` (one
// shared connection each) and prepares it (prepare-host.ts), then keeps each host's state: up, or
// down and retried, with GPU readings; and says where and how a replica runs on it.
import type { Clock, TimerHandle } from '../../common/clock.js';
import { UnreachableError, UserError, errorMessage } from '../../common/errors.js';
import type { HostStatus } from '../../common/cluster-status.js';
import type { Logger } from '../../common/log.js';
import { findPackageRoot } from '../../common/package-info.js';
import type { HostSpec, Profile } from '../../profile/types.js';
import type { ClusterEvent } from '../events.js';
import type { Launcher } from '../launcher.js';
import { ConnectError, SshConnection } from '../launchers/ssh-connection.js';
import { SshLauncher } from '../launchers/ssh-launcher.js';
import { localCapacity } from '../capacity.js';
import type { HostCapacity } from '../placement.js';
import { prepareRemoteHost } from './prepare-host.js';
import { NVIDIA_SMI_ARGS, localGpus, parseNvidiaSmi, type GpuReading } from './gpus.js';
import { shellCommand } from './shell-quote.js';
import { controlPathOf, sshConfigOf, type SshConfig } from './ssh-options.js';
import { describeTarget, resolveTarget, type SshTarget } from './ssh-target.js';

/** How often GPU readings are refreshed for `serve status`. */
const GPU_READ_EVERY_MS = 5000;

export interface HostSetOptions {
  profile: Profile;
  stateDir: string;
  /** The model version to copy to SSH hosts that lack it. */
  model: { name: string; version: number; dir: string };
  clock: Clock;
  log: Logger;
  onEvent(e: ClusterEvent): void;
  /** A host went down or came back: pending replicas may be placed now. */
  onChange(): void;
  /** `serve hosts trust NAME ...` for messages. */
  trustCommand(hostName: string): string;
}

/** What a replica on an SSH host needs: where serve is there, its registry, the address to listen on. */
export interface RemotePlace {
  node: string;
  workdir: string;
  registry: string;
  address: string;
  /** A replica there exits when no heartbeat came for this long. */
  heartbeatTimeoutMs: number;
}

interface RemoteParts extends RemotePlace {
  target: SshTarget;
  conn: SshConnection;
  launcher: SshLauncher;
}

interface HostEntry {
  spec: HostSpec;
  /** Up at the last change: a failed retry of a host already down says nothing new. */
  wasUp?: boolean;
  capacity: HostCapacity;
  gpus: GpuReading[];
  remote?: RemoteParts;
}

export class HostSet {
  private readonly entries: HostEntry[] = [];
  private readonly config: SshConfig;
  private closed = false;
  private gpuTimer: TimerHandle | undefined;
  private retryTimers = new Map<string, TimerHandle>();

  private constructor(private readonly o: HostSetOptions) {
    this.config = sshConfigOf(o.profile.ssh);
  }

  /**
   * Connects and prepares every host. Throws (closing what it opened) an UnreachableError (exit 3)
   * naming each host that cannot be reached and the fix, or a UserError for a host that does not
   * run the same serve.
   */
  static async open(o: HostSetOptions): Promise<HostSet> {
    const set = new HostSet(o);
    const results = await Promise.allSettled(o.profile.hosts.map((spec) => (spec.ssh === undefined ? set.localEntry(spec) : set.remoteEntry(spec))));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    for (const r of results) if (r.status === 'fulfilled') set.entries.push(r.value);
    if (failures.length > 0) {
      await set.close();
      const unreachable = failures.every((f) => f instanceof UnreachableError);
      const messages = failures.map(errorMessage);
      const first = messages[0]!;
      const details = messages.slice(1);
      throw unreachable ? new UnreachableError(first, { details }) : failures[0] instanceof UserError && failures.length === 1 ? failures[0] : new UserError(first, { details });
    }
    return set;
  }

  /** Capacity of the hosts that are up, in profile order. */
  capacities(): HostCapacity[] {
    return this.entries.filter((e) => !e.remote || e.remote.conn.state === 'up').map((e) => e.capacity);
  }

  /** Names of the hosts that are down, with why (for pending reasons). */
  downHosts(): string[] {
    return this.entries.filter((e) => e.remote && e.remote.conn.state !== 'up').map((e) => `${e.spec.name} (${e.remote!.conn.reason ?? 'connecting'})`);
  }

  /** What a replica on `hostName` needs; undefined for this machine. */
  remotePlace(hostName: string | undefined): RemotePlace | undefined {
    const r = this.entries.find((e) => e.spec.name === hostName)?.remote;
    return r && { node: r.node, workdir: r.workdir, registry: r.registry, address: r.address, heartbeatTimeoutMs: r.heartbeatTimeoutMs };
  }

  /** The SSH launcher of `hostName`; undefined for this machine. */
  remoteLauncher(hostName: string): Launcher | undefined {
    return this.entries.find((e) => e.spec.name === hostName)?.remote?.launcher;
  }

  /** Starts refreshing GPU readings of hosts that have GPUs. */
  startGpuReadings(): void {
    if (this.closed || !this.entries.some((e) => e.gpus.length > 0)) return;
    const read = async () => {
      await Promise.all(this.entries.filter((e) => e.gpus.length > 0).map((e) => this.readGpus(e)));
      if (!this.closed) this.gpuTimer = this.o.clock.setTimer(() => void read(), GPU_READ_EVERY_MS, { unref: true });
    };
    this.gpuTimer = this.o.clock.setTimer(() => void read(), GPU_READ_EVERY_MS, { unref: true });
  }

  status(): HostStatus[] {
    return this.entries.map((e) => ({
      name: e.spec.name,
      state: e.remote ? e.remote.conn.state : 'up',
      ...(e.remote ? { ssh: describeTarget(e.remote.target), address: e.remote.address } : {}),
      ...(e.remote?.conn.reason && e.remote.conn.state !== 'up' ? { reason: e.remote.conn.reason } : {}),
      cpus: e.capacity.cpus,
      memoryBytes: e.capacity.memoryBytes,
      gpus: e.gpus.map((g) => ({ index: g.index, name: g.name, memoryTotalBytes: g.memoryTotalBytes, memoryUsedBytes: g.memoryUsedBytes, utilizationPercent: g.utilizationPercent })),
    }));
  }

  /** Closes every connection; call after the replicas have stopped. */
  async close(): Promise<void> {
    this.closed = true;
    this.o.clock.clearTimer(this.gpuTimer);
    for (const t of this.retryTimers.values()) this.o.clock.clearTimer(t);
    await Promise.all(this.entries.map(async (e) => e.remote?.conn.close()));
    await Promise.all(this.opening.map((c) => c.close()));
  }

  /** Connections opened while the set was being built (closed on a failed open). */
  private readonly opening: SshConnection[] = [];

  private async localEntry(spec: HostSpec): Promise<HostEntry> {
    const local = this.o.profile.local;
    const devices = await localGpus();
    const detected = localCapacity({ cpus: spec.cpus ?? local.cpus, memoryBytes: spec.memoryBytes ?? local.memoryBytes, gpus: spec.gpus ?? local.gpus }, undefined, spec.name);
    // nvidia-smi's list, where it runs, is what a GPU count left to `auto` means.
    const gpus = spec.gpus ?? local.gpus ?? (devices.length > 0 ? devices.length : detected.gpus);
    return { spec, capacity: { ...detected, gpus, ...(devices.length > 0 ? { gpuDevices: devices } : {}) }, gpus: devices };
  }

  private async remoteEntry(spec: HostSpec): Promise<HostEntry> {
    const { log } = this.o;
    let target: SshTarget;
    try {
      target = await resolveTarget(spec.ssh!, this.config.configFile);
    } catch (err) {
      throw new UserError(`host ${spec.name}: ssh cannot use the destination ${JSON.stringify(spec.ssh)} (${errorMessage(err)}): fix its ssh field in the profile`);
    }
    const workdir = spec.workdir ?? findPackageRoot();
    const conn = new SshConnection({
      hostName: spec.name, target, config: this.config, controlPath: controlPathOf(this.o.stateDir, spec.name, target), node: spec.node,
      trustCommand: this.o.trustCommand(spec.name), clock: this.o.clock, log,
      onState: (state, why) => this.onConnState(spec.name, state, why),
    });
    this.opening.push(conn);
    try {
      await conn.open();
    } catch (err) {
      if (err instanceof ConnectError && err.failure.kind !== 'other') throw new UnreachableError(err.message);
      throw new UserError(errorMessage(err));
    }
    const { facts, capacity, registry } = await prepareRemoteHost(spec, { conn, target, workdir, model: this.o.model, onEvent: (e) => this.o.onEvent(e) });
    const heartbeatMs = this.config.keepaliveMs;
    const launcher = new SshLauncher({ connection: conn, workdir, clock: this.o.clock, heartbeatMs });
    const heartbeatTimeoutMs = heartbeatMs * (this.config.keepaliveCount + 1);
    const address = spec.address ?? target.hostname;
    return { spec, capacity, gpus: facts.gpus, remote: { target, conn, launcher, node: spec.node, workdir, registry, address, heartbeatTimeoutMs } };
  }

  private onConnState(name: string, state: string, why: string | undefined): void {
    if (this.closed) return;
    const entry = this.entries.find((e) => e.spec.name === name);
    if (!entry) return; // still opening
    if (state === 'down') {
      this.scheduleRetry(entry);
      if (entry.wasUp === false) return;
      entry.wasUp = false;
      this.o.onEvent({ level: 'warn', kind: 'host-lost', message: `host ${name} is down: ${why ?? 'connection closed'}; its replicas are placed elsewhere, and it is tried again` });
      this.o.onChange();
    } else if (state === 'up') {
      entry.wasUp = true;
      this.o.onEvent({ level: 'info', kind: 'host', message: `host ${name} is up again` });
      this.o.onChange();
    }
  }

  /** Tries a lost host again every keep-alive period until it answers (quietly: one event per change). */
  private scheduleRetry(entry: HostEntry): void {
    const conn = entry.remote!.conn;
    const delayMs = Math.max(1000, this.config.keepaliveMs);
    this.retryTimers.set(entry.spec.name, this.o.clock.setTimer(() => {
      if (this.closed) return;
      conn.open().catch(() => this.scheduleRetry(entry));
    }, delayMs, { unref: true }));
  }

  private async readGpus(e: HostEntry): Promise<void> {
    if (!e.remote) {
      const gpus = await localGpus();
      if (gpus.length > 0) e.gpus = gpus;
      return;
    }
    if (e.remote.conn.state !== 'up') return;
    const r = await e.remote.conn.exec(shellCommand(['nvidia-smi', ...NVIDIA_SMI_ARGS]), { timeoutMs: 5000 });
    if (r.code !== 0) return;
    try {
      e.gpus = parseNvidiaSmi(r.stdout);
    } catch {
      // Keep the last good reading.
    }
  }
}
