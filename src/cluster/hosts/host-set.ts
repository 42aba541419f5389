// The hosts of a running cluster (control plane, hosts): connects every SSH host at `serve up` (one
// shared connection each) and prepares it (host-entry.ts), then keeps each host's state: up, or
// down and retried, with GPU readings; and says where and how a replica runs on it.
import type { TimerHandle } from '../../common/clock.js';
import { UnreachableError, UserError, errorMessage } from '../../common/errors.js';
import type { HostStatus } from '../../common/cluster-status.js';
import type { SshConnection } from './ssh-connection.js';
import type { HostCapacity } from '../placement/index.js';
import {
  localEntry,
  readGpus,
  remoteEntry,
  type HostEntry,
  type HostEntryOptions,
  type RemotePlace,
} from './host-entry.js';
import { sshConfigOf, type SshConfig } from './ssh-options.js';
import { describeTarget } from './ssh-target.js';

/** What a launcher needs of an SSH host: its shared connection, the folder children run in, the heartbeat period. */
export interface RemoteConnection {
  connection: SshConnection;
  workdir: string;
  heartbeatMs: number;
}

/** How often GPU readings are refreshed for `serve status`. */
const GPU_READ_EVERY_MS = 5000;

export interface HostSetOptions extends HostEntryOptions {
  /** A host went down or came back: pending replicas may be placed now. */
  onChange(): void;
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
    const results = await Promise.allSettled(
      o.profile.hosts.map((spec) =>
        spec.ssh === undefined
          ? localEntry(spec, o)
          : remoteEntry(spec, o, set.config, set.opening, (state, why) => set.onConnState(spec.name, state, why)),
      ),
    );
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    for (const r of results) if (r.status === 'fulfilled') set.entries.push(r.value);
    if (failures.length > 0) {
      await set.close();
      const unreachable = failures.every((f) => f instanceof UnreachableError);
      const messages = failures.map(errorMessage);
      const first = messages[0]!;
      const details = messages.slice(1);
      throw unreachable
        ? new UnreachableError(first, { details })
        : failures[0] instanceof UserError && failures.length === 1
          ? failures[0]
          : new UserError(first, { details });
    }
    return set;
  }

  /** Capacity of the hosts that are up, in profile order. */
  capacities(): HostCapacity[] {
    return this.entries.filter((e) => !e.remote || e.remote.conn.state === 'up').map((e) => e.capacity);
  }

  /** Names of the hosts that are down, with why (for pending reasons). */
  downHosts(): string[] {
    return this.entries
      .filter((e) => e.remote && e.remote.conn.state !== 'up')
      .map((e) => `${e.spec.name} (${e.remote!.conn.reason ?? 'connecting'})`);
  }

  /** What a replica on `hostName` needs; undefined for this machine. */
  remotePlace(hostName: string | undefined): RemotePlace | undefined {
    const r = this.entries.find((e) => e.spec.name === hostName)?.remote;
    return (
      r && {
        node: r.node,
        workdir: r.workdir,
        registry: r.registry,
        address: r.address,
        heartbeatTimeoutMs: r.heartbeatTimeoutMs,
      }
    );
  }

  /** The connection to `hostName` and what a child there needs of it; undefined for this machine. */
  remoteConnection(hostName: string): RemoteConnection | undefined {
    const r = this.entries.find((e) => e.spec.name === hostName)?.remote;
    return r && { connection: r.conn, workdir: r.workdir, heartbeatMs: r.heartbeatMs };
  }

  /** Starts refreshing GPU readings of hosts that have GPUs. */
  startGpuReadings(): void {
    if (this.closed || !this.entries.some((e) => e.gpus.length > 0)) return;
    const read = async () => {
      await Promise.all(this.entries.filter((e) => e.gpus.length > 0).map((e) => readGpus(e)));
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
      gpus: e.gpus.map((g) => ({
        index: g.index,
        name: g.name,
        memoryTotalBytes: g.memoryTotalBytes,
        memoryUsedBytes: g.memoryUsedBytes,
        utilizationPercent: g.utilizationPercent,
      })),
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

  private onConnState(name: string, state: string, why: string | undefined): void {
    if (this.closed) return;
    const entry = this.entries.find((e) => e.spec.name === name);
    if (!entry) return; // still opening
    if (state === 'down') {
      this.scheduleRetry(entry);
      if (entry.wasUp === false) return;
      entry.wasUp = false;
      this.o.onEvent({
        level: 'warn',
        kind: 'host-lost',
        message:
          `host ${name} is down: ${why ?? 'connection closed'}; its replicas are placed ` +
          `elsewhere, and it is tried again`,
      });
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
    this.retryTimers.set(
      entry.spec.name,
      this.o.clock.setTimer(
        () => {
          if (this.closed) return;
          conn.open().catch(() => this.scheduleRetry(entry));
        },
        delayMs,
        { unref: true },
      ),
    );
  }
}
