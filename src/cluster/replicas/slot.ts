// One replica slot as the supervisor tracks it (control plane): its supervised-child state (changed
// only by the supervisor through the transition function), the process it runs now, and its latest
// readings. The id stays across restarts.
import type { Clock, TimerHandle } from '../../common/clock.js';
import { hasProcess, initialChild, type ChildState } from './child-state.js';
import type { LaunchedProcess } from '../launchers/index.js';
import { httpGet } from './http-probe.js';
import { inFlightFromMetrics, queueDepthFromMetrics } from '../autoscale/index.js';
import { ProcessReadings } from './proc-stats.js';
import type { ReplicaState, ReplicaStatus } from '../../common/cluster-status.js';

export class ReplicaSlot {
  child: ChildState = initialChild();
  proc: LaunchedProcess | undefined;
  url: string | undefined;
  port: number | undefined;
  device: string | undefined;
  /** Why its device `auto` ended on the CPU (from its ready event); undefined when it got what it asked for. */
  deviceFallback: string | undefined;
  /** The digest of the model bytes its process loaded (its ready event); handed to the gateway's cache. */
  modelDigest: string | undefined;
  /** Its frame socket (its ready event): the gateway's infer requests go there. */
  frameSocket: string | undefined;
  /** Its TCP frame address (a replica on an SSH host: its ready event). */
  frameAddress: string | undefined;
  /** The host placement put it on. */
  host: string | undefined;
  /** GPU indexes placement gave it on that host (its CUDA_VISIBLE_DEVICES). */
  gpus: number[] | undefined;
  timer: TimerHandle | undefined;
  /** A probe or reading of this slot is in progress (the next tick skips it). */
  probing = false;
  inFlight: number | undefined;
  /** Its process was started by a dead controller and taken over (until it is replaced). */
  adopted = false;
  /** The supervisor's settings generation its process was launched with (see Supervisor.roll). */
  generation = 0;
  readonly readings: ProcessReadings;

  constructor(
    readonly index: number,
    clock: Clock,
    /** The model version it runs (a rollout runs two). */ readonly modelVersion = 0,
  ) {
    this.readings = new ProcessReadings(clock);
  }

  get id(): string {
    return `replica-${this.index}`;
  }

  /** Scrapes in-flight requests and queue depth from the replica's /metrics (updating inFlight); `token` is the cluster's. */
  async scrapeLoad(timeoutMs: number, token?: string): Promise<{ inFlight: number; queued: number } | undefined> {
    if (!this.url) return undefined;
    const r = await httpGet(`${this.url}/metrics`, timeoutMs, token);
    this.inFlight = r.ok && r.status === 200 ? inFlightFromMetrics(r.body) : undefined;
    return this.inFlight === undefined || !r.ok
      ? undefined
      : { inFlight: this.inFlight, queued: queueDepthFromMetrics(r.body) };
  }

  toStatus(nowMs: number): ReplicaStatus {
    const c = this.child;
    const live = this.proc !== undefined && hasProcess(c);
    const retryInMs =
      (c.phase === 'failed' || c.phase === 'restarting') && c.timerAtMs !== undefined
        ? Math.max(0, c.timerAtMs - nowMs)
        : undefined;
    return {
      id: this.id,
      state: c.phase as ReplicaState,
      ...(this.modelVersion > 0 ? { version: this.modelVersion } : {}),
      // A pending replica is placed nowhere (its reason says why), whatever host it last had.
      host: c.phase === 'pending' ? undefined : this.host,
      ...(this.gpus && c.phase !== 'pending' ? { gpus: this.gpus } : {}),
      pid: live ? this.proc?.pid : undefined,
      port: live ? this.port : undefined,
      url: live ? this.url : undefined,
      device: this.device,
      ...(this.deviceFallback ? { deviceFallback: this.deviceFallback } : {}),
      restarts: c.restarts,
      ...(this.adopted && live ? { adopted: true } : {}),
      inFlight: live ? this.inFlight : undefined,
      rssBytes: live && !this.proc?.remote ? this.readings.rssBytes : undefined,
      cpuPercent: live && !this.proc?.remote ? this.readings.cpuPercent : undefined,
      uptimeMs: c.phase === 'ready' && c.readySinceMs !== undefined ? nowMs - c.readySinceMs : undefined,
      reason: c.reason,
      ...(c.lastError === undefined ? {} : { lastError: c.lastError }),
      retryInMs,
    };
  }
}

/** Order in which slots are removed on scale-down: the least useful first, newest first. */
export function scaleDownOrder(slots: readonly ReplicaSlot[]): ReplicaSlot[] {
  const rank: Record<string, number> = {
    pending: 0,
    lost: 0,
    failed: 1,
    restarting: 2,
    stopped: 3,
    unhealthy: 4,
    starting: 5,
    draining: 6,
    ready: 7,
  };
  return [...slots].sort((a, b) => rank[a.child.phase]! - rank[b.child.phase]! || b.index - a.index);
}
