// The validated, unit-normalized shape of a profile (control plane). Produced by profile/load.ts
// from YAML; every duration is in milliseconds and every size in bytes, as the names say.
import type { AuthConfig } from '../common/auth.js';
import type { BatchingMode, DeviceRequest } from '../common/settings/table.js';
import type { SloTargets } from '../common/wire.js';
import type { GatewayMigration } from './fields/migration-fields.js';

export type Device = DeviceRequest;

export interface Profile {
  /** The profile's `name`, or the file name without extension. */
  name: string;
  /** Absolute path of the YAML file it came from ('' when built in code). */
  sourcePath: string;
  model: {
    name: string;
    /** An integer version or 'latest' (the highest in the registry). */
    version: number | 'latest';
    /** Absolute registry folder. Written relative to the directory `serve` runs in (default ./models); ${PROFILE_DIR} in the YAML is the profile file's folder. */
    registry: string;
  };
  replicas: {
    min: number;
    max: number;
    /** Started by `serve up`; defaults to min. */
    initial: number;
  };
  autoscaling: {
    enabled: boolean;
    /** Desired in-flight requests per replica (Ray Serve's target_ongoing_requests). */
    targetOngoingRequests: number;
    upscaleDelayMs: number;
    downscaleDelayMs: number;
    /** How often the controller samples load. */
    metricsIntervalMs: number;
    /** Window over which in-flight samples are averaged. */
    lookbackMs: number;
    /** Scale up while the gateway's p99 over the window exceeds slo.p99 with requests queued. */
    latencyGuard: boolean;
  };
  resources: {
    /** CPUs per replica (fractions allowed). */
    cpus: number;
    /** GPUs per replica when a GPU exists (0.5 = two replicas share one); ignored on CPU-only hosts. */
    gpus: number;
    memoryBytes: number;
    /** GPU memory one GPU replica needs on its GPU; undefined: not checked. */
    gpuMemoryBytes?: number;
  };
  batching: {
    maxBatchSize: number;
    batchWaitMs: number;
    /** adaptive (the default) or fixed (always wait up to batchWaitMs). */
    mode: BatchingMode;
    /** Requests waiting in a replica's queue beyond which it answers 503 at once. */
    maxQueuedRequests: number;
  };
  runtime: {
    device: Device;
    /** ONNX Runtime intra-op threads per replica. */
    threads: number;
  };
  health: {
    periodMs: number;
    timeoutMs: number;
    /** Consecutive failed probes before a replica is ejected and replaced. */
    failureThreshold: number;
    /** How long a starting replica may take to become ready. */
    startupTimeoutMs: number;
  };
  restart: {
    initialBackoffMs: number;
    backoffMultiplier: number;
    maxBackoffMs: number;
    /** Healthy time after which the backoff resets. */
    resetAfterMs: number;
    /** This many failures within crashLoopWindowMs marks the replica failed. */
    crashLoopFailures: number;
    crashLoopWindowMs: number;
    /** How long a failed (crash-looping) replica waits before it is tried once more. */
    failedRetryMs: number;
  };
  gateway: {
    host: string;
    /** 0 picks a free port. */
    port: number;
    /** Requests waiting at the gateway for a free replica beyond which it answers 503. */
    maxQueuedRequests: number;
    /** Upper bound on one request through the gateway, retries included. */
    requestTimeoutMs: number;
    /** Consecutive failures after which a replica is ejected from routing. */
    ejectAfterFailures: number;
    ejectForMs: number;
    /** Least try timeout: a replica silent this long (or 4x its slowest recent answer) has its requests resent elsewhere. */
    tryTimeoutMinMs: number;
    /** frames: infer requests to local replicas over their frame sockets; http: all over HTTP. */
    replicaTransport: 'frames' | 'http';
    /** Lend the socket holder a copy of each client connection (a killed gateway process loses none). */
    keepConnections: boolean;
    /** Bearer tokens (hashed) and open paths; absent: no authentication. */
    auth?: AuthConfig;
    /** HTTPS: certificate and key files (absolute); absent: plain HTTP. */
    tls?: { certPath: string; keyPath: string };
  } & GatewayMigration;
  /** The gateway's response cache. */
  cache: {
    enabled: boolean;
    maxEntries: number;
    maxBytes: number;
    ttlMs: number;
    /** Absent: memory only. `url` may hold a password: never print it (redactUrl). */
    redis?: { url: string; prefix: string; timeoutMs: number };
    /** The prefix and timeout written even without a url (they reach the gateway's settings). */
    redisPrefix: string;
    redisTimeoutMs: number;
  };
  /** Grace period for draining on scale-down and `serve down` before SIGKILL. */
  drainTimeoutMs: number;
  /**
   * The profile's `env:`: variables every replica and the gateway get on top of the few passed from
   * the controller's environment (common/child-env.ts). Absent: none.
   */
  env?: Readonly<Record<string, string>>;
  /** Capacity of the local host; undefined fields are detected (os.availableParallelism, totalmem). */
  local: { cpus?: number; memoryBytes?: number; gpus?: number };
  /** Machines replicas run on, in profile order; always at least one (`local` when the profile has none). */
  hosts: HostSpec[];
  ssh: SshSettings;
  /** The controller itself; absent in profiles built in code (then a free metrics port). */
  controller?: {
    /** Loopback port of the controller's /metrics; 0 picks a free one. */
    metricsPort: number;
    /** A local child left without a controller drains and exits after this long (`--orphan-timeout`); 0 never. */
    orphanTimeoutMs?: number;
  };
  slo: SloTargets;
  /** How `serve rollout` decides; absent in profiles built in code (then: roll back when inconclusive). */
  rollout?: { onInconclusive: 'rollback' | 'proceed' };
  /** The search space `serve tune` reads (each list sorted, distinct); absent lists take its defaults. */
  tune?: { batchSizes?: number[]; batchWaitsMs?: number[]; replicas?: number[]; threads?: number[] };
  /** Prices per unit and hour `serve tune` ranks configurations by. */
  cost?: { cpuHour?: number; gpuHour?: number; gibHour?: number };
}

/** One host of the profile. Capacity fields left undefined are detected (`auto`). */
export interface HostSpec {
  name: string;
  /** SSH destination; undefined for this machine. */
  ssh?: string;
  /** Where the gateway reaches its replicas; undefined: the host name ssh resolves the destination to. */
  address?: string;
  cpus?: number;
  memoryBytes?: number;
  gpus?: number;
  /** Folder of serve on the host; undefined: the same folder as on this machine. */
  workdir?: string;
  /** Node.js binary on the host. */
  node: string;
  /** Model registry on the host; undefined: <workdir>/models. */
  registry?: string;
}

/** How serve runs the system ssh. Paths are as written (~ is expanded when used). */
export interface SshSettings {
  knownHostsFile: string;
  identityFile?: string;
  /** ssh -F; undefined: ssh's own default. */
  configFile?: string;
  connectTimeoutMs: number;
  keepaliveMs: number;
  keepaliveCount: number;
}
