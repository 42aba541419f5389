// The hosts of a running cluster (control plane, hosts): connects every SSH host at `serve up` (one
// shared connection each) and prepares it (host-entry.ts), then keeps each host's state: up, or
// down and retried with backoff (prepared again before it is offered to placement), with GPU
// readings; and says where and how a replica runs on it.
import type { TimerHandle } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import type { HostStatus } from '../../common/cluster-status.js';
import type { SshConnection } from './ssh-connection.js';
import { downAtStartMessage, startError, startVerdict } from './start-verdict.js';
import type { HostCapacity } from '../placement/index.js';
import {
  connectEntry,
  entryStatus,
  localEntry,
  prepareEntry,
  readGpus,
  remoteEntry,
  usable,
  whyDown,
  type HostEntry,
  type HostEntryOptions,
  type RemotePlace,
} from './host-entry.js';
import { sshConfigOf, type SshConfig } from './ssh-options.js';
import { hostRetryDelayMs } from './retry-delay.js';

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
  /** The jitter of the retry backoff, in [0, 1) (default Math.random). */
  random?: () => number;
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
   * Connects and prepares every host. A host that cannot be reached now is started without: it is
   * shown down with its reason and retried (startVerdict). Throws (closing what it opened) an
   * UnreachableError (exit 3) when no host is left or a host key or user key is refused, or a
   * UserError for a host that does not run the same serve.
   */
  static async open(o: HostSetOptions): Promise<HostSet> {
    const set = new HostSet(o);
    const hooks = (name: string) => ({
      onState: (state: string, why: string | undefined) => set.onConnState(name, state, why),
      onNote: (message: string) => o.onEvent({ level: 'warn', kind: 'host', message: `host ${name}: ${message}` }),
    });
    const built = await Promise.allSettled(
      o.profile.hosts.map((spec) =>
        spec.ssh === undefined ? localEntry(spec, o) : remoteEntry(spec, o, set.config, hooks(spec.name)),
      ),
    );
    for (const r of built) if (r.status === 'fulfilled') set.entries.push(r.value);
    const failures = built.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    const attempt = async (e: HostEntry): Promise<unknown> =>
      e.remote
        ? connectEntry(e, o).then(
            () => undefined,
            (err: unknown) => err,
          )
        : undefined;
    const outcomes = async () =>
      Promise.all(set.entries.map(async (e) => ({ name: e.spec.name, failure: await attempt(e) })));
    const verdict =
      failures.length > 0 ? { start: false as const, error: startError(failures) } : startVerdict(await outcomes());
    if (!verdict.start) {
      await set.close();
      throw verdict.error;
    }
    set.started = true;
    for (const e of set.entries) {
      if (usable(e) || !e.remote) continue;
      e.wasUp = false;
      e.everUp = false;
      set.scheduleRetry(e);
      const message = downAtStartMessage(e.spec.name, whyDown(e), e.nextAttemptAtMs! - o.clock.nowMs());
      o.onEvent({ level: 'warn', kind: 'host-lost', message });
    }
    return set;
  }

  /** Capacity of the hosts that are up (and prepared since they came up), in profile order. */
  capacities(): HostCapacity[] {
    return this.entries.filter((e) => usable(e)).map((e) => e.capacity);
  }

  /** Names of the hosts that are down, with why (for pending reasons). */
  downHosts(): string[] {
    return this.entries.filter((e) => !usable(e)).map((e) => `${e.spec.name} (${whyDown(e)})`);
  }

  /**
   * Why a replica of `hostName` that ended was the host's doing, or undefined: the host is down
   * or not yet prepared again (its end is then no crash of the replica's own).
   */
  hostFault(hostName: string | undefined): string | undefined {
    const e = this.entries.find((x) => x.spec.name === hostName);
    return e && !usable(e) ? `host ${e.spec.name} is down: ${whyDown(e)}` : undefined;
  }

  /** What a replica on `hostName` needs; undefined for this machine. */
  remotePlace(hostName: string | undefined): RemotePlace | undefined {
    const r = this.entries.find((e) => e.spec.name === hostName)?.remote;
    if (!r) return undefined;
    const { node, workdir, registry, address, heartbeatTimeoutMs } = r;
    return { node, workdir, registry, address, heartbeatTimeoutMs };
  }

  /** The connection to `hostName` and what a child there needs of it; undefined for this machine. */
  remoteConnection(hostName: string): RemoteConnection | undefined {
    const r = this.entries.find((e) => e.spec.name === hostName)?.remote;
    return r && { connection: r.conn, workdir: r.workdir, heartbeatMs: r.heartbeatMs };
  }

  /** Starts refreshing GPU readings of hosts that have GPUs (or may: one down at the start). */
  startGpuReadings(): void {
    if (this.closed || !this.entries.some((e) => e.gpus.length > 0 || e.everUp === false)) return;
    const read = async () => {
      await Promise.all(this.entries.filter((e) => e.gpus.length > 0).map((e) => readGpus(e)));
      if (!this.closed) this.gpuTimer = this.o.clock.setTimer(() => void read(), GPU_READ_EVERY_MS, { unref: true });
    };
    this.gpuTimer = this.o.clock.setTimer(() => void read(), GPU_READ_EVERY_MS, { unref: true });
  }

  status(): HostStatus[] {
    const nowMs = this.o.clock.nowMs();
    return this.entries.map((e) => entryStatus(e, nowMs));
  }

  /** Closes every connection; call after the replicas have stopped. */
  async close(): Promise<void> {
    this.closed = true;
    this.o.clock.clearTimer(this.gpuTimer);
    for (const t of this.retryTimers.values()) this.o.clock.clearTimer(t);
    await Promise.all(this.entries.map(async (e) => e.remote?.conn.close()));
  }

  /** The first attempts are over: from now on a connection's loss is a host's. */
  private started = false;

  private onConnState(name: string, state: string, why: string | undefined): void {
    if (this.closed || !this.started || state !== 'down') return;
    const entry = this.entries.find((e) => e.spec.name === name);
    if (!entry) return;
    entry.prepared = false;
    // An attempt in flight schedules the next one itself when it fails.
    if (!this.attempting.has(name) && !this.retryTimers.has(name)) this.scheduleRetry(entry);
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
  }

  /** Hosts with an attempt (connect and prepare) in flight. */
  private readonly attempting = new Set<string>();

  /**
   * Tries a lost host again after the backoff (hostRetryDelayMs: doubling from the keep-alive
   * period, capped at 30 s, with jitter; reset when it is up), quietly: one event per change.
   */
  private scheduleRetry(entry: HostEntry): void {
    const name = entry.spec.name;
    const baseMs = Math.max(1000, this.config.keepaliveMs);
    const delayMs = hostRetryDelayMs(entry.failures ?? 0, baseMs, this.o.random ?? Math.random);
    entry.nextAttemptAtMs = this.o.clock.nowMs() + delayMs;
    this.retryTimers.set(
      name,
      this.o.clock.setTimer(
        () => {
          this.retryTimers.delete(name);
          void this.attempt(entry);
        },
        delayMs,
        { unref: true },
      ),
    );
  }

  /**
   * One attempt at a lost host: its connection opened again, then the same preparation as at
   * `serve up` (versions, the model copied where it is missing). Only a host that passes both is
   * offered to placement again.
   */
  private async attempt(entry: HostEntry): Promise<void> {
    if (this.closed) return;
    const name = entry.spec.name;
    const conn = entry.remote!.conn;
    entry.nextAttemptAtMs = undefined;
    this.attempting.add(name);
    let failure: unknown;
    try {
      if (conn.state !== 'up') await conn.open();
      if (this.closed) throw new Error('closed');
      entry.preparing = true;
      await prepareEntry(entry, this.o);
    } catch (err) {
      failure = err;
    } finally {
      entry.preparing = false;
      this.attempting.delete(name);
    }
    if (this.closed) return void (await conn.close());
    if (failure !== undefined || conn.state !== 'up') {
      entry.prepared = false;
      entry.failures = (entry.failures ?? 0) + 1;
      if (failure !== undefined && conn.state === 'up') {
        const problem = `reachable again, but could not be prepared: ${errorMessage(failure)}`;
        if (entry.problem !== problem)
          this.o.onEvent({ level: 'warn', kind: 'host', message: `host ${name} is ${problem}; it is tried again` });
        entry.problem = problem;
      }
      return this.scheduleRetry(entry);
    }
    entry.failures = 0;
    entry.wasUp = true;
    const joined = entry.everUp === false ? 'up (it was down at the start); replicas may be placed there' : 'up again';
    entry.everUp = true;
    this.o.onEvent({ level: 'info', kind: 'host', message: `host ${name} is ${joined}` });
    this.o.onChange();
  }
}
