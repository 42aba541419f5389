// Health probe evaluation for one replica (control plane, pure core): a replica is declared failed
// only after `failureThreshold` consecutive failed probes, so one that fails now and then is kept.

/** Outcome after recording one probe. */
export type ProbeVerdict = 'healthy' | 'suspect' | 'failed';

/** Counts consecutive probe failures against a threshold. */
export class ProbeTracker {
  private consecutiveFailures = 0;

  constructor(private readonly failureThreshold: number) {
    if (!(failureThreshold >= 1)) throw new RangeError('failureThreshold must be at least 1');
  }

  /** Records one probe (`ok` = answered 200 within the timeout) and returns the verdict. */
  record(ok: boolean): ProbeVerdict {
    if (ok) {
      this.consecutiveFailures = 0;
      return 'healthy';
    }
    this.consecutiveFailures++;
    return this.consecutiveFailures >= this.failureThreshold ? 'failed' : 'suspect';
  }

  /** Consecutive failures so far. */
  get failures(): number {
    return this.consecutiveFailures;
  }

  reset(): void {
    this.consecutiveFailures = 0;
  }
}

/**
 * The longest a hung replica can go unnoticed: the threshold's worth of periods plus one timeout.
 * Tests and docs use it as the "probe window".
 */
export function probeWindowMs(health: { periodMs: number; timeoutMs: number; failureThreshold: number }): number {
  return health.failureThreshold * health.periodMs + health.timeoutMs;
}
