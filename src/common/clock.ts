// Time source injected into the pure cores (batcher, autoscaler, schedule, supervisor) so tests
// drive them exactly, without sleeping (common, every plane).

/** A monotonic clock in milliseconds (fractions allowed). */
export interface Clock {
  /** Milliseconds since an arbitrary origin; never goes backwards. */
  nowMs(): number;
}

/** The real monotonic clock (performance.now). */
export const systemClock: Clock = { nowMs: () => performance.now() };

/** A clock that moves only when told to; for tests of pure cores. */
export class ManualClock implements Clock {
  private t: number;
  constructor(startMs = 0) {
    this.t = startMs;
  }
  nowMs(): number {
    return this.t;
  }
  /** Moves time forward by `ms` (must be >= 0). */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('ManualClock cannot go backwards');
    this.t += ms;
  }
  set(ms: number): void {
    if (ms < this.t) throw new RangeError('ManualClock cannot go backwards');
    this.t = ms;
  }
}
