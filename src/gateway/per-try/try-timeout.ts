// How long one try may wait on a silent replica before it is given up and sent to another
// (gateway, data plane, pure): Envoy's per-try timeout, derived from the replica's own latency.
//
// The rule: a try at replica R is given up when R has answered nothing at all (to this request or
// any other) for R's try timeout, counted from when the try was written or from R's last answer,
// whichever is later. R's try timeout is TRY_TIMEOUT_FACTOR times the slowest of R's last
// TRY_SAMPLES tries (written to answered, as the gateway saw them), and never less than the floor
// (`gateway.try_timeout_min`). Until R has answered TRY_MIN_SAMPLES tries it has none: its tries
// wait for the request's deadline, as before. The try timeout never outlasts the request's deadline:
// when it would, the deadline's rules (503/504, the hang judge) apply instead.
//
// Why silence and not the try's own age: a busy replica keeps answering others, so a try waiting in
// its queue is load, and resending it would only add load (a retry storm); a stopped, frozen or cut
// off replica answers nothing, which is what this catches.

/** Recent tries per replica the timeout is derived from. */
export const TRY_SAMPLES = 32;
/** Answered tries a replica needs before it gets a try timeout (until then only the deadline applies). */
export const TRY_MIN_SAMPLES = 8;
/** The try timeout is this many times the slowest of the recent tries (then at least the floor). */
export const TRY_TIMEOUT_FACTOR = 4;

/** The durations of a replica's last TRY_SAMPLES answered tries, and the slowest of them. Allocates nothing per record. */
export class TryLatency {
  private readonly ms = new Float64Array(TRY_SAMPLES);
  private next = 0;
  private seen = 0;
  private slowest = 0;

  /** Records one try that was answered `ms` after it was written. */
  record(ms: number): void {
    if (!(ms >= 0)) return;
    const dropped = this.ms[this.next]!;
    this.ms[this.next] = ms;
    this.next = (this.next + 1) % TRY_SAMPLES;
    this.seen++;
    if (ms >= this.slowest) this.slowest = ms;
    else if (dropped === this.slowest) {
      // The slowest one left the window: find the new slowest (rare: at most once per TRY_SAMPLES records on average).
      let s = 0;
      for (let i = 0; i < TRY_SAMPLES; i++) if (this.ms[i]! > s) s = this.ms[i]!;
      this.slowest = s;
    }
  }

  /** Answered tries recorded so far. */
  get count(): number {
    return this.seen;
  }

  /** The slowest of the recent tries (ms); 0 before the first. */
  slowestMs(): number {
    return this.slowest;
  }
}

/** A replica's try timeout in ms (see the rule above); Infinity while it has answered too few tries. */
export function tryTimeoutMs(latency: TryLatency, floorMs: number): number {
  if (latency.count < TRY_MIN_SAMPLES) return Infinity;
  return Math.max(floorMs, TRY_TIMEOUT_FACTOR * latency.slowestMs());
}

/**
 * Clock time at which a try written at `sentAtMs` is given up, if its replica, whose last answer
 * came at `lastAnswerMs`, still has answered nothing by then.
 */
export function tryDueMs(sentAtMs: number, lastAnswerMs: number, timeoutMs: number): number {
  return Math.max(sentAtMs, lastAnswerMs) + timeoutMs;
}
