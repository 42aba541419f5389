// A level integrated over time (simulate, pure): what a gauge such as a replica's in-flight count
// holds on average between two of the controller's samples. The live controller reads the gauge at
// one instant per sample, at no fixed phase of the arrivals, so the mean of its readings is this
// time average; reading the simulated gauge at whole seconds instead reads the same phase of evenly
// spaced arrivals every time.

/** A piecewise-constant level and its area (value × ms) since the last `takeArea`. */
export class TimeAverage {
  private value = 0;
  private sinceMs: number;
  private area = 0;

  constructor(startMs: number) {
    this.sinceMs = startMs;
  }

  /** The level is `value` from `nowMs` on. */
  set(nowMs: number, value: number): void {
    this.area += this.value * (nowMs - this.sinceMs);
    this.sinceMs = nowMs;
    this.value = value;
  }

  /** Area (value × ms) from the last take (or the start) to `nowMs`; the next take counts from here. */
  takeArea(nowMs: number): number {
    this.set(nowMs, this.value);
    const a = this.area;
    this.area = 0;
    return a;
  }
}
