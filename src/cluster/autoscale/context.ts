// The autoscaling policy's inputs (control plane, pure): its settings from a profile, the timed load
// samples it averages, and the delays' state it keeps between decisions.
import type { Profile } from '../../profile/types.js';
import type { LatencyDelta } from './latency-window.js';

/** Policy settings; the autoscaling part of a Profile plus its replica bounds and p99 target. */
export interface AutoscalingConfig {
  minReplicas: number;
  maxReplicas: number;
  /** Desired requests per replica, in flight at it or queued for it (Ray Serve's target_ongoing_requests). */
  targetOngoingRequests: number;
  upscaleDelayMs: number;
  downscaleDelayMs: number;
  /** Samples older than this are ignored when averaging. */
  lookbackMs: number;
  /** The latency guard, when on: the p99 the gateway must stay under (the profile's slo.p99). */
  latencyGuard?: { p99TargetMs: number };
}

/** One reading of the cluster's load, taken at `atMs`. */
export interface LoadSample {
  atMs: number;
  /** Requests in flight at the ready replicas (their sum). */
  inFlight: number;
  /** Requests waiting at the gateway for a free replica. */
  queued: number;
  /** Requests waiting in the replicas' batch queues (part of inFlight; the guard's "requests are waiting"). */
  replicaQueued?: number;
  /** The gateway's request latencies since the previous sample. */
  latency?: LatencyDelta;
}

/** What the policy remembers between decisions: when each pending direction began, the last scale-up. */
export interface PolicyState {
  upSinceMs?: number;
  downSinceMs?: number;
  lastUpMs?: number;
}

/** Everything one decision depends on. */
export interface PolicyContext {
  nowMs: number;
  currentReplicas: number;
  /** Samples in any order; only those within the look-back window count. */
  samples: readonly LoadSample[];
  config: AutoscalingConfig;
  state: PolicyState;
}

/** The policy's settings for a profile, with a floor under its minimum (a schedule's prewarm). */
export function policyConfig(p: Profile, floor = 0): AutoscalingConfig {
  const a = p.autoscaling;
  return {
    minReplicas: Math.max(p.replicas.min, floor),
    maxReplicas: Math.max(p.replicas.max, floor),
    targetOngoingRequests: a.targetOngoingRequests,
    upscaleDelayMs: a.upscaleDelayMs,
    downscaleDelayMs: a.downscaleDelayMs,
    lookbackMs: a.lookbackMs,
    ...(a.latencyGuard && p.slo.p99Ms !== undefined ? { latencyGuard: { p99TargetMs: p.slo.p99Ms } } : {}),
  };
}
