// One host of a running cluster (control plane, hosts): its entry (capacity, GPU readings, and for an
// SSH host its connection, where a replica runs, and whether it is prepared since it last came up),
// made by connecting and preparing it; whether placement may use it, and how status shows it.
import type { Clock } from '../../common/clock.js';
import type { HostStatus } from '../../common/cluster-status.js';
import { UnreachableError, UserError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { findPackageRoot } from '../../common/package-info.js';
import type { HostSpec, Profile } from '../../profile/types.js';
import type { ClusterEvent } from '../events.js';
import { ConnectError, SshConnection } from './ssh-connection.js';
import { localCapacity } from '../placement/index.js';
import type { HostCapacity } from '../placement/index.js';
import { prepareRemoteHost } from './prepare-host.js';
import { HostDownError } from './start-verdict.js';
import { NVIDIA_SMI_ARGS, localGpus, parseNvidiaSmi, type GpuReading } from './gpus.js';
import { shellCommand } from './shell-quote.js';
import { controlPathOf, type SshConfig } from './ssh-options.js';
import { describeTarget, resolveTarget, type SshTarget } from './ssh-target.js';

/** What making a host's entry needs (the host set's options). */
export interface HostEntryOptions {
  profile: Profile;
  stateDir: string;
  /** The model version to copy to SSH hosts that lack it. */
  model: { name: string; version: number; dir: string };
  clock: Clock;
  log: Logger;
  onEvent(e: ClusterEvent): void;
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

export interface RemoteParts extends RemotePlace {
  target: SshTarget;
  conn: SshConnection;
  /** A heartbeat line goes to each replica there this often (its ssh keep-alive period). */
  heartbeatMs: number;
}

export interface HostEntry {
  spec: HostSpec;
  /** Up at the last change: a failed retry of a host already down says nothing new. */
  wasUp?: boolean;
  /** SSH host: false while a host down at the start has not joined yet. */
  everUp?: boolean;
  capacity: HostCapacity;
  gpus: GpuReading[];
  remote?: RemoteParts;
  /**
   * SSH host: prepared (versions checked, model there) since its connection last came up; only
   * then is it offered to placement.
   */
  prepared?: boolean;
  /** SSH host: being prepared now. */
  preparing?: boolean;
  /** SSH host: why its last preparation failed (while its connection is up). */
  problem?: string;
  /** SSH host: failed attempts in a row since it was last up (the backoff's exponent). */
  failures?: number;
  /** SSH host: when the next attempt at it is due (on the clock), while one is scheduled. */
  nextAttemptAtMs?: number;
}

/** This machine's entry: its capacity, with nvidia-smi's GPUs where it runs. */
export async function localEntry(spec: HostSpec, o: HostEntryOptions): Promise<HostEntry> {
  const local = o.profile.local;
  const devices = await localGpus();
  const detected = localCapacity(
    {
      cpus: spec.cpus ?? local.cpus,
      memoryBytes: spec.memoryBytes ?? local.memoryBytes,
      gpus: spec.gpus ?? local.gpus,
    },
    undefined,
    spec.name,
  );
  // nvidia-smi's list, where it runs, is what a GPU count left to `auto` means.
  const gpus = spec.gpus ?? local.gpus ?? (devices.length > 0 ? devices.length : detected.gpus);
  return {
    spec,
    capacity: { ...detected, gpus, ...(devices.length > 0 ? { gpuDevices: devices } : {}) },
    gpus: devices,
  };
}

/** Hooks of an SSH host's connection (the host set's). */
export interface ConnectionHooks {
  onState: (state: string, why: string | undefined) => void;
  onNote: (message: string) => void;
}

/** An SSH host's entry, not connected yet: its connection, where its replicas run, no capacity. */
export async function remoteEntry(
  spec: HostSpec,
  o: HostEntryOptions,
  config: SshConfig,
  hooks: ConnectionHooks,
): Promise<HostEntry> {
  let target: SshTarget;
  try {
    target = await resolveTarget(spec.ssh!, config.configFile);
  } catch (err) {
    throw new UserError(
      `host ${spec.name}: ssh cannot use the destination ${JSON.stringify(spec.ssh)} (` +
        `${errorMessage(err)}): fix its ssh field in the profile`,
    );
  }
  const conn = new SshConnection({
    hostName: spec.name,
    target,
    config,
    controlPath: controlPathOf(o.stateDir, spec.name, target),
    node: spec.node,
    trustCommand: o.trustCommand(spec.name),
    clock: o.clock,
    log: o.log,
    onState: hooks.onState,
    onNote: hooks.onNote,
  });
  const heartbeatMs = config.keepaliveMs;
  const heartbeatTimeoutMs = heartbeatMs * (config.keepaliveCount + 1);
  const address = spec.address ?? target.hostname;
  const workdir = spec.workdir ?? findPackageRoot();
  return {
    spec,
    capacity: { name: spec.name, cpus: 0, memoryBytes: 0, gpus: 0 },
    gpus: [],
    remote: { target, conn, heartbeatMs, node: spec.node, workdir, registry: '', address, heartbeatTimeoutMs },
  };
}

/**
 * The first attempt at an SSH host (`serve up`): connects and prepares it. A host that cannot be
 * reached now (no answer, refused, dropped or silent while being prepared) is a HostDownError; a
 * key problem an UnreachableError; anything else (another serve there...) a UserError.
 */
export async function connectEntry(e: HostEntry, o: HostEntryOptions): Promise<void> {
  const conn = e.remote!.conn;
  try {
    await conn.open();
  } catch (err) {
    if (!(err instanceof ConnectError)) throw new UserError(errorMessage(err));
    if (err.failure.kind === 'unreachable') throw new HostDownError(err.message);
    throw err.failure.kind === 'other' ? new UserError(err.message) : new UnreachableError(err.message);
  }
  try {
    await prepareEntry(e, o);
  } catch (err) {
    if (conn.state !== 'up') throw new HostDownError(conn.reason ?? errorMessage(err));
    if (!(err instanceof UnreachableError)) throw err;
    e.problem = errorMessage(err);
    throw new HostDownError(e.problem);
  }
}

/**
 * Prepares an SSH host whose connection is up, at `serve up` and again on every reconnection: the
 * Node.js and serve versions checked, the model copied where it is missing; then its capacity,
 * GPUs and registry are what the host said. Throws (UserError, UnreachableError) when it cannot be.
 */
export async function prepareEntry(e: HostEntry, o: HostEntryOptions): Promise<void> {
  const r = e.remote!;
  const { facts, capacity, registry } = await prepareRemoteHost(e.spec, {
    conn: r.conn,
    target: r.target,
    workdir: r.workdir,
    model: o.model,
    onEvent: (ev) => o.onEvent(ev),
  });
  e.capacity = capacity;
  e.gpus = facts.gpus;
  r.registry = registry;
  e.prepared = true;
  e.problem = undefined;
}

/** Refreshes a host's GPU readings (this machine's, or over its connection while it is up). */
export async function readGpus(e: HostEntry): Promise<void> {
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

/** A host placement may use: this machine, or an SSH host that is connected and prepared. */
export function usable(e: HostEntry): boolean {
  return !e.remote || (e.remote.conn.state === 'up' && e.prepared === true);
}

export function hostState(e: HostEntry): HostStatus['state'] {
  if (usable(e)) return 'up';
  const conn = e.remote!.conn;
  if (conn.state !== 'up') return conn.state;
  return e.preparing ? 'connecting' : 'down';
}

/** Why a host is not offered to placement (its preparation's failure, or the connection's). */
export function whyDown(e: HostEntry): string {
  const conn = e.remote!.conn;
  if (conn.state === 'up') return e.problem ?? 'being prepared again';
  return conn.reason ?? 'connecting';
}

/** A host as `serve status` shows it (`nowMs` on the clock, for when its next attempt is). */
export function entryStatus(e: HostEntry, nowMs: number): HostStatus {
  return {
    name: e.spec.name,
    state: hostState(e),
    ...(e.remote ? { ssh: describeTarget(e.remote.target), address: e.remote.address } : {}),
    ...(usable(e) ? {} : { reason: whyDown(e) }),
    ...(e.nextAttemptAtMs === undefined || usable(e)
      ? {}
      : { nextAttemptInMs: Math.max(0, Math.round(e.nextAttemptAtMs - nowMs)) }),
    cpus: e.capacity.cpus,
    memoryBytes: e.capacity.memoryBytes,
    gpus: e.gpus.map((g) => ({
      index: g.index,
      name: g.name,
      memoryTotalBytes: g.memoryTotalBytes,
      memoryUsedBytes: g.memoryUsedBytes,
      utilizationPercent: g.utilizationPercent,
    })),
  };
}
