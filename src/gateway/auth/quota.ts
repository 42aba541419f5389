// A token bucket per client token (gateway, pure on a Clock's time): `requests_per_second` refill,
// `burst` capacity. Above it a request is refused with how long until the next one would pass.

/** One client's bucket; `take` is called with the clock's now for every request it sends. */
export class TokenBucket {
  private tokens: number;
  private lastMs: number | undefined;
  /** Requests allowed at once (the bucket's size). */
  readonly capacity: number;

  /** `burst` defaults to one second's worth of `ratePerSec` (at least 1). */
  constructor(
    readonly ratePerSec: number,
    burst?: number,
  ) {
    this.capacity = burst ?? Math.max(1, Math.ceil(ratePerSec));
    this.tokens = this.capacity;
  }

  /** Takes one request's token at `nowMs`: 0 when it may pass, else the ms until one would be there. */
  take(nowMs: number): number {
    if (this.lastMs !== undefined && nowMs > this.lastMs) {
      this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.lastMs) * this.ratePerSec) / 1000);
    }
    if (this.lastMs === undefined || nowMs > this.lastMs) this.lastMs = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return ((1 - this.tokens) / this.ratePerSec) * 1000;
  }
}
