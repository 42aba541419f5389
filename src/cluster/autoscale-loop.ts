// The autoscaling shell (control plane): every metrics interval it samples the replicas' in-flight
// requests, feeds the pure policy (autoscaler.ts) and applies what it decides to the supervisor.
import { every, type Clock } from '../common/clock.js';
import type { Profile } from '../profile/types.js';
import { Autoscaler } from './autoscaler.js';
import type { ClusterEvent } from './events.js';

/** What the loop needs of the supervisor. */
export interface ScalingTarget {
  readonly desired: number;
  setReplicas(n: number): void;
  sampleInFlight(timeoutMs: number): Promise<number | undefined>;
}

export class AutoscaleLoop {
  /** False after `serve scale --force` until the next `serve up`. */
  active: boolean;
  /** The policy's last view, shown by status. */
  lastDecision: { averageInFlight: number; desiredReplicas: number } | undefined;
  private readonly policy: Autoscaler;
  private stopLoop: (() => void) | undefined;

  constructor(
    private readonly profile: Profile,
    private readonly clock: Clock,
    private readonly target: ScalingTarget,
    private readonly emit: (e: ClusterEvent) => void,
  ) {
    const a = profile.autoscaling;
    this.active = a.enabled;
    this.policy = new Autoscaler(
      {
        minReplicas: profile.replicas.min, maxReplicas: profile.replicas.max, targetOngoingRequests: a.targetOngoingRequests,
        upscaleDelayMs: a.upscaleDelayMs, downscaleDelayMs: a.downscaleDelayMs, lookbackMs: a.lookbackMs,
      },
      clock,
    );
  }

  start(): void {
    this.stopLoop ??= every(this.clock, this.profile.autoscaling.metricsIntervalMs, () => this.tick(), { unref: true });
  }

  stop(): void {
    this.stopLoop?.();
  }

  /** A manual scale: the policy judges afresh from the new count; `pause` (--force) stops applying it. */
  manualScale(pause: boolean): void {
    if (pause) this.active = false;
    this.policy.reset();
  }

  /** One step: scrape in-flight, feed the policy, apply its decision. */
  private async tick(): Promise<void> {
    const a = this.profile.autoscaling;
    const total = await this.target.sampleInFlight(Math.min(a.metricsIntervalMs, 1000));
    if (total === undefined) return;
    this.policy.observe(total);
    const d = this.policy.decide(this.target.desired);
    if (!d) return;
    this.lastDecision = d;
    if (a.enabled && this.active && d.applyReplicas !== undefined) {
      this.emit({ level: 'info', kind: 'scaled', message: `autoscaling to ${d.applyReplicas} replicas (average in-flight ${d.averageInFlight.toFixed(1)})` });
      this.target.setReplicas(d.applyReplicas);
    }
  }
}
