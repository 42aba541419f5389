// One replica slot as the supervisor tracks it (control plane): the process it runs now, its
// state, and the trackers that decide about probes and restarts. The id stays across restarts.
import type { Clock } from '../common/clock.js';
import { RestartTracker, type RestartPolicy } from './backoff.js';
import type { LaunchedProcess } from './launcher.js';
import { ProbeTracker } from './probe.js';
import { httpGet } from './http-probe.js';
import { inFlightFromMetrics } from './metrics-parse.js';
import { cpuPercent, readCpuTimeMs, readRssBytes } from './proc-stats.js';
import type { ReplicaState, ReplicaStatus } from './status.js';

export class ReplicaSlot {
  state: ReplicaState = 'pending';
  proc: LaunchedProcess | undefined;
  url: string | undefined;
  port: number | undefined;
  device: string | undefined;
  restarts = 0;
  readyAtMs: number | undefined;
  reason: string | undefined;
  /** Why the current process is being killed (probe failure, memory), for the restart decision. */
  failWhy: string | undefined;
  /** Scaled away or shutting down: its exit is not a failure. */
  stopping = false;
  probing = false;
  inFlight: number | undefined;
  rssBytes: number | undefined;
  cpuPercent: number | undefined;
  cpuSample: { cpuMs: number; atMs: number } | undefined;
  timer: NodeJS.Timeout | undefined;
  readonly probe: ProbeTracker;
  readonly restart: RestartTracker;

  constructor(readonly index: number, failureThreshold: number, policy: RestartPolicy, private readonly clock: Clock) {
    this.probe = new ProbeTracker(failureThreshold);
    this.restart = new RestartTracker(policy, clock);
  }

  get id(): string {
    return `replica-${this.index}`;
  }

  /** True while a process exists for this slot. */
  get running(): boolean {
    return this.proc !== undefined;
  }

  /** Reads RSS and CPU time from /proc (updating rssBytes and cpuPercent); returns the RSS. */
  async readResources(): Promise<number | undefined> {
    const pid = this.proc?.pid;
    if (pid === undefined) return undefined;
    const [rss, cpuMs] = await Promise.all([readRssBytes(pid), readCpuTimeMs(pid)]);
    this.rssBytes = rss;
    const now = this.clock.nowMs();
    if (cpuMs !== undefined) {
      if (this.cpuSample) this.cpuPercent = cpuPercent(this.cpuSample.cpuMs, cpuMs, now - this.cpuSample.atMs);
      this.cpuSample = { cpuMs, atMs: now };
    }
    return rss;
  }

  /** Scrapes in-flight requests from the replica's /metrics (updating inFlight). */
  async scrapeInFlight(timeoutMs: number): Promise<number | undefined> {
    if (!this.url) return undefined;
    const r = await httpGet(`${this.url}/metrics`, timeoutMs);
    this.inFlight = r.ok && r.status === 200 ? inFlightFromMetrics(r.body) : undefined;
    return this.inFlight;
  }

  clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  toStatus(): ReplicaStatus {
    const live = this.proc !== undefined;
    return {
      id: this.id,
      state: this.state,
      pid: live ? this.proc?.pid : undefined,
      port: live ? this.port : undefined,
      url: live ? this.url : undefined,
      device: this.device,
      restarts: this.restarts,
      inFlight: live ? this.inFlight : undefined,
      rssBytes: live ? this.rssBytes : undefined,
      cpuPercent: live ? this.cpuPercent : undefined,
      uptimeMs: this.state === 'ready' && this.readyAtMs !== undefined ? this.clock.nowMs() - this.readyAtMs : undefined,
      reason: this.reason,
    };
  }
}

/** Order in which slots are removed on scale-down: the least useful first, newest first. */
export function scaleDownOrder(slots: readonly ReplicaSlot[]): ReplicaSlot[] {
  const rank: Record<ReplicaState, number> = {
    pending: 0, failed: 1, restarting: 2, stopped: 3, unhealthy: 4, starting: 5, draining: 6, ready: 7,
  };
  return [...slots].sort((a, b) => rank[a.state] - rank[b.state] || b.index - a.index);
}
