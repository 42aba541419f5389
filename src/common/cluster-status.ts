// What a running controller reports (common): ClusterStatus, the plain data `serve status` shows and
// `--json` prints, and the answer to a scale. Built by the controller, read through client/.

/** Life cycle of one replica slot. */
import type { RolloutStatus } from './rollout.js';
import type { ControllerDeath } from './controller-death.js';

export type ReplicaState =
  | 'pending' // not placed: does not fit the host (see reason)
  | 'starting' // launched, not ready yet
  | 'ready' // serving, probes pass
  | 'unhealthy' // failed its probes or its memory limit; being replaced
  | 'restarting' // exited; waiting out its backoff
  | 'draining' // scaled down or shutting down; finishing accepted requests
  | 'failed' // crash loop: tried again after restart.failed_retry (see reason, retryInMs)
  | 'lost' // its host vanished; being replaced elsewhere
  | 'stopped';

export interface ReplicaStatus {
  id: string;
  state: ReplicaState;
  /** The model version it runs. */
  version?: number;
  /** The host it runs on (its profile name; "local" for this machine). */
  host?: string;
  pid?: number;
  port?: number;
  url?: string;
  device?: string;
  /** Why it runs on the CPU although its profile said device auto (CUDA could not be used); absent otherwise. */
  deviceFallback?: string;
  /** GPU indexes on its host (its CUDA_VISIBLE_DEVICES); absent for a CPU replica. */
  gpus?: number[];
  /** Times this slot was restarted. */
  restarts: number;
  /** Its process was started by a controller that died, and taken over by this one (not restarted). */
  adopted?: boolean;
  /** In-flight requests at the last sample. */
  inFlight?: number;
  rssBytes?: number;
  /** Share of one core over the last probe period, in percent. */
  cpuPercent?: number;
  /** Since it became ready this time. */
  uptimeMs?: number;
  /** Why it is pending, unhealthy, restarting, failed or lost. */
  reason?: string;
  /** Since it was last ready: how its last process ended badly, its own first error line when it said one. */
  lastError?: string;
  /** Restarting or failed: when the next start is tried. */
  retryInMs?: number;
}

/** What `serve restart gateway` did: the serving gateway process before and after. */
export interface GatewayRestartResult {
  fromPid?: number;
  toPid: number;
  /** The socket holder, which kept the listening socket throughout. */
  holderPid?: number;
}

export interface ClusterStatus {
  /** starting until every placed replica is ready or failed; stopping once a drain began. */
  phase: 'starting' | 'running' | 'stopping';
  profile: { name: string; path: string };
  /** `version`: the one serving all traffic (during a rollout, the old one until it completes). */
  model: { name: string; version: number };
  /** A rollout in progress or the last one, with the traffic weight of each version. */
  rollout?: RolloutStatus;
  /** The controller before this one in the state directory died without stopping: what it left. */
  previousController?: ControllerDeath;
  gatewayUrl: string;
  gateway: {
    /** The serving gateway process (the one that accepts and answers requests). */
    pid?: number;
    /** The gateway's socket holder: owns the listening socket and runs the serving process as its child. */
    holderPid?: number;
    state: 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped';
    restarts: number;
    reason?: string;
    /** The socket holder was started by a controller that died, and taken over by this one. */
    adopted?: boolean;
  };
  controllerPid: number;
  /** The controller's own Prometheus metrics (http://127.0.0.1:PORT/metrics). */
  controllerMetricsUrl?: string;
  stateDir: string;
  startedAt: string;
  uptimeMs: number;
  /** Replica count the controller aims for (placed or pending). */
  desiredReplicas: number;
  autoscaling: {
    enabled: boolean;
    /** False while the count is pinned by `serve scale N` (until `serve scale auto`) or autoscaling is off. */
    active: boolean;
    minReplicas: number;
    maxReplicas: number;
    targetOngoingRequests: number;
    /** The count `serve scale N` pinned, until `serve scale auto`. */
    pinned?: number;
    latencyGuard: boolean;
    /** The policy's signal: averageInFlight + averageQueued over the look-back window. */
    signal?: number;
    averageInFlight?: number;
    /** Requests waiting at the gateway, averaged over the window. */
    averageQueued?: number;
    /** The gateway's p99 over the window, from its histogram (only with the latency guard). */
    p99Ms?: number;
    /** What the policy wants now, before its delays. */
    wantedReplicas?: number;
    /** Replicas started ahead of the schedule's next switch (prewarm): the count does not go below it until then. */
    floor?: number;
    /** The last decisions that changed something or started a wait, oldest first. */
    decisions: ScalingRecord[];
    /** Replica count over the last minutes: one point a change, and at least one every 10 s. */
    history: Array<{ at: string; replicas: number; ready: number }>;
  };
  /** With a schedule profile: which profile is active and the next switch. */
  schedule?: ScheduleStatus;
  replicas: ReplicaStatus[];
  /** The profile's hosts: connection state, capacity and GPU readings. */
  hosts?: HostStatus[];
  /** Oversubscription and similar notes. */
  warnings: string[];
  /** The gateway's response cache since it started (read from its /metrics by `serve status`); absent when off or unknown. */
  cache?: CacheStatus;
  /** Other OIP v2 servers the gateway sends to (gateway.external, .fallback, .shadow); absent when none. */
  otherServers?: OtherServersStatus;
  /** The controller's own files it cannot write now (a full or failing disk); absent when every write succeeds. */
  writeFailures?: WriteFailure[];
}

/**
 * A control-plane file whose last write failed (state.json, the Prometheus targets file, a log): the
 * cluster keeps running; the file is written again as soon as the disk takes it.
 */
export interface WriteFailure {
  /** Absolute path of the file. */
  file: string;
  /** Why, in one line (a full disk names its directory). */
  error: string;
  /** When the first failure of this run of failures happened (ISO time). */
  since: string;
  /** Failed tries so far (state and targets files are retried every second; a log at its next line). */
  failures: number;
  /** A log: lines dropped so far (a line saying how many is written when logging resumes). */
  droppedLines?: number;
}

/**
 * The profile's other servers (URLs without passwords) and, once `serve status` has read the
 * gateway's /metrics, what the gateway sent each since it started (absent counts: not read).
 */
export interface OtherServersStatus {
  /** By the gateway's names: external-0, external-1, ... in profile order. */
  external: Array<{ name: string; url: string; weightPercent: number; requests?: number }>;
  fallback?: { url: string; requests?: number };
  shadow?: {
    url: string;
    sharePercent: number;
    copies?: number;
    agreements?: number;
    disagreements?: number;
    errors?: number;
    dropped?: number;
  };
}

/** The response cache's counters as `serve status` shows them. */
export interface CacheStatus {
  hits: number;
  misses: number;
  /** hits / (hits + misses), 0..1; undefined before the first cacheable request. */
  hitRate: number | undefined;
  /** Of the hits, those answered from Redis. */
  redisHits: number;
  entries: number;
  bytes: number;
  evictions: number;
  redisErrors: number;
}

/** One host as the controller sees it. */
export interface HostStatus {
  /** Its profile name ("local" for this machine when the profile lists no hosts). */
  name: string;
  /**
   * up: replicas may be placed there; connecting: an attempt (connect, then the same preparation as
   * at `serve up`) is under way; down: lost, not connected or not preparable (see reason), retried.
   */
  state: 'up' | 'connecting' | 'down';
  /** The SSH target (user@host:port); absent for this machine. */
  ssh?: string;
  /** Where its replicas listen (SSH hosts). */
  address?: string;
  reason?: string;
  /** A host that is not up: when the next attempt at it starts, from now (backoff with jitter, at most 20 s). */
  nextAttemptInMs?: number;
  /** Capacity placement hands out. */
  cpus: number;
  memoryBytes: number;
  /** GPUs by index, as nvidia-smi last read them (every few seconds). */
  gpus: GpuStatus[];
}

export interface GpuStatus {
  index: number;
  name?: string;
  memoryTotalBytes?: number;
  memoryUsedBytes?: number;
  /** Busy share of the last sample period, in percent. */
  utilizationPercent?: number;
}

/** What a scale did: from and to counts, and the replicas that could not be placed (with why). */
export interface ScaleResult {
  from: number;
  to: number;
  pending: Array<{ id: string; reason: string }>;
}

/** One autoscaling decision as the log and `serve status` show it. */
export interface ScalingRecord {
  at: string;
  /** policy: the autoscaler; manual: `serve scale`; schedule: a switch or a prewarm. */
  by: 'policy' | 'manual' | 'schedule';
  /** apply: the count changed; up/down: a delay started; steady; pin/unpin. */
  action: string;
  from: number;
  to: number;
  reason: string;
  signal?: number;
  inFlight?: number;
  queued?: number;
  p99Ms?: number;
}

/** Where a cluster started from a schedule profile stands. */
export interface ScheduleStatus {
  name: string;
  path: string;
  timezone: string;
  /** The profile in force now. */
  active: string;
  next?: { at: string; profile: string; reason: string; prewarmAt?: string };
}
