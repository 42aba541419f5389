// Restart policy for one supervised process (control plane, pure core): exponential backoff that
// resets after a healthy stretch, and crash-loop detection. Time comes from an injected Clock.
import type { Clock } from '../common/clock.js';
import type { Profile } from '../profile/types.js';

/** Restart tuning, in milliseconds: the profile's `restart` section. */
export type RestartPolicy = Profile['restart'];

/** Defaults that suit a 100 ms SLO: 100 ms growing x1.5 to 15 s, reset after 30 s, 5 failures in 10 s. */
export const defaultRestartPolicy: RestartPolicy = {
  initialBackoffMs: 100,
  backoffMultiplier: 1.5,
  maxBackoffMs: 15_000,
  resetAfterMs: 30_000,
  crashLoopFailures: 5,
  crashLoopWindowMs: 10_000,
};

/** What to do after a failure: restart after `delayMs`, or give up with a reason. */
export type RestartDecision =
  | { action: 'restart'; delayMs: number; attempt: number }
  | { action: 'fail'; reason: string };

/**
 * Tracks the failures of one replica slot. Call `healthy()` when it becomes ready and `failed()`
 * each time it exits or is killed for failing; `failed()` says whether and when to restart.
 */
export class RestartTracker {
  private attempt = 0;
  private healthySinceMs: number | undefined;
  private failureTimesMs: number[] = [];

  constructor(private readonly policy: RestartPolicy, private readonly clock: Clock) {}

  /** The process became ready (healthy) now. */
  healthy(): void {
    this.healthySinceMs ??= this.clock.nowMs();
  }

  /** Number of failures that led to a restart so far (for status). */
  get attempts(): number {
    return this.attempt;
  }

  /** The process failed now (`why` is used in the crash-loop reason). */
  failed(why: string): RestartDecision {
    const now = this.clock.nowMs();
    const p = this.policy;
    if (this.healthySinceMs !== undefined && now - this.healthySinceMs >= p.resetAfterMs) this.attempt = 0;
    this.healthySinceMs = undefined;
    this.failureTimesMs = this.failureTimesMs.filter((t) => now - t < p.crashLoopWindowMs);
    this.failureTimesMs.push(now);
    if (this.failureTimesMs.length >= p.crashLoopFailures) {
      const windowS = p.crashLoopWindowMs / 1000;
      return {
        action: 'fail',
        reason: `crash loop: ${this.failureTimesMs.length} failures within ${windowS}s (last: ${why}); not restarting`,
      };
    }
    const delayMs = Math.min(p.initialBackoffMs * p.backoffMultiplier ** this.attempt, p.maxBackoffMs);
    this.attempt++;
    return { action: 'restart', delayMs, attempt: this.attempt };
  }
}
