// What a running controller reports (common): ClusterStatus, the plain data `serve status` shows and
// `--json` prints, and the answer to a scale. Built by the controller, read through client/.

/** Life cycle of one replica slot. */
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
  /** The host it runs on (its profile name; "local" for this machine). */
  host?: string;
  pid?: number;
  port?: number;
  url?: string;
  device?: string;
  /** Times this slot was restarted. */
  restarts: number;
  /** In-flight requests at the last sample. */
  inFlight?: number;
  rssBytes?: number;
  /** Share of one core over the last probe period, in percent. */
  cpuPercent?: number;
  /** Since it became ready this time. */
  uptimeMs?: number;
  /** Why it is pending, unhealthy, restarting, failed or lost. */
  reason?: string;
  /** Restarting or failed: when the next start is tried. */
  retryInMs?: number;
}

export interface ClusterStatus {
  /** starting until every placed replica is ready or failed; stopping once a drain began. */
  phase: 'starting' | 'running' | 'stopping';
  profile: { name: string; path: string };
  model: { name: string; version: number };
  gatewayUrl: string;
  gateway: { pid?: number; state: 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped'; restarts: number; reason?: string };
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
    /** False after `serve scale --force` until the next `serve up`. */
    active: boolean;
    minReplicas: number;
    maxReplicas: number;
    targetOngoingRequests: number;
    averageInFlight?: number;
    wantedReplicas?: number;
  };
  replicas: ReplicaStatus[];
  /** Oversubscription and similar notes. */
  warnings: string[];
}

/** What a scale did: from and to counts, and the replicas that could not be placed (with why). */
export interface ScaleResult {
  from: number;
  to: number;
  pending: Array<{ id: string; reason: string }>;
}
