// Autoscaling policy (control plane, pure core), after Ray Serve's default policy: desired replicas
// = ceil(average total in-flight requests / target per replica), clamped to [min, max], applied only
// once the same direction of change has held for the upscale or downscale delay.
import type { Clock } from '../common/clock.js';

/** Policy settings; mirrors the autoscaling part of a Profile plus its replica bounds. */
export interface AutoscalingConfig {
  minReplicas: number;
  maxReplicas: number;
  /** Desired in-flight requests per replica (Ray Serve's target_ongoing_requests). */
  targetOngoingRequests: number;
  upscaleDelayMs: number;
  downscaleDelayMs: number;
  /** Samples older than this are ignored when averaging. */
  lookbackMs: number;
}

/** One decision, with the numbers behind it (shown by `serve status`). */
export interface ScalingDecision {
  /** The replica count to apply now, or undefined to keep the current one. */
  applyReplicas: number | undefined;
  /** What the policy would like right now, before the delay. */
  desiredReplicas: number;
  averageInFlight: number;
}

/** Computes the unclamped-then-clamped replica count for a load; pure. */
export function desiredReplicas(cfg: AutoscalingConfig, averageInFlight: number): number {
  const raw = Math.ceil(averageInFlight / cfg.targetOngoingRequests - 1e-9);
  return Math.min(cfg.maxReplicas, Math.max(cfg.minReplicas, raw));
}

/** Feeds on in-flight samples and decides when to scale; one per deployment. */
export class Autoscaler {
  private samples: Array<{ atMs: number; inFlight: number }> = [];
  private upSinceMs: number | undefined;
  private downSinceMs: number | undefined;

  constructor(readonly config: AutoscalingConfig, private readonly clock: Clock) {
    if (!(config.targetOngoingRequests > 0)) throw new RangeError('targetOngoingRequests must be > 0');
  }

  /** Records the total in-flight requests across all replicas, measured now. */
  observe(totalInFlight: number): void {
    const now = this.clock.nowMs();
    this.samples.push({ atMs: now, inFlight: totalInFlight });
    this.samples = this.samples.filter((s) => now - s.atMs <= this.config.lookbackMs);
  }

  /** Decides given the replica count the controller runs now; undefined before any sample. */
  decide(currentReplicas: number): ScalingDecision | undefined {
    const now = this.clock.nowMs();
    const recent = this.samples.filter((s) => now - s.atMs <= this.config.lookbackMs);
    if (recent.length === 0) return undefined;
    const averageInFlight = recent.reduce((a, s) => a + s.inFlight, 0) / recent.length;
    const desired = desiredReplicas(this.config, averageInFlight);
    let applyReplicas: number | undefined;
    if (desired > currentReplicas) {
      this.downSinceMs = undefined;
      this.upSinceMs ??= now;
      if (now - this.upSinceMs >= this.config.upscaleDelayMs) applyReplicas = desired;
    } else if (desired < currentReplicas) {
      this.upSinceMs = undefined;
      this.downSinceMs ??= now;
      if (now - this.downSinceMs >= this.config.downscaleDelayMs) applyReplicas = desired;
    } else {
      this.upSinceMs = undefined;
      this.downSinceMs = undefined;
    }
    if (applyReplicas !== undefined) {
      // The next change must hold for its own full delay.
      this.upSinceMs = undefined;
      this.downSinceMs = undefined;
    }
    return { applyReplicas, desiredReplicas: desired, averageInFlight };
  }

  /** Forgets pending decisions (after a manual scale, so it starts judging afresh). */
  reset(): void {
    this.upSinceMs = undefined;
    this.downSinceMs = undefined;
  }
}
