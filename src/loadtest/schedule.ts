// Open-loop arrival schedule (loadtest, pure): absolute due times from the start of a phase, so a
// late timer never shifts later arrivals (k6's constant-arrival-rate executor does the same).
import { seededRandom } from '../common/random.js';
import type { ArrivalKind, RampSpec } from './types.js';

/** Yields due times in milliseconds from the phase start, in increasing order. */
export class ArrivalSchedule {
  private index = 0;
  private poissonDueMs = 0;
  private readonly random: () => number;
  private readonly intervalMs: number;

  /**
   * @param ratePerSec arrivals per second (> 0)
   * @param kind constant spacing, or Poisson (exponential gaps with the same mean)
   */
  constructor(
    ratePerSec: number,
    private readonly kind: ArrivalKind = 'constant',
    seed = 1,
  ) {
    if (!(ratePerSec > 0)) throw new RangeError(`rate must be > 0, got ${ratePerSec}`);
    this.intervalMs = 1000 / ratePerSec;
    this.random = seededRandom(seed);
  }

  /** Due time of the next arrival; constant arrivals are computed from the index (no drift). */
  next(): number {
    if (this.kind === 'constant') return this.index++ * this.intervalMs;
    const due = this.poissonDueMs;
    // 1 - random() is in (0, 1], so the log is finite.
    this.poissonDueMs += -Math.log(1 - this.random()) * this.intervalMs;
    this.index++;
    return due;
  }

  /** Number of arrivals handed out so far. */
  get count(): number {
    return this.index;
  }
}

/** Anything that hands out increasing due times. */
export interface DueTimes {
  next(): number;
}

/**
 * Every `count`-th arrival of a schedule starting at `index`: worker `index` of `count` takes its
 * share of one shared schedule, so together they send exactly the arrivals one process would.
 */
export class ScheduleShare implements DueTimes {
  constructor(
    private readonly schedule: DueTimes,
    private readonly index: number,
    private readonly count: number,
  ) {
    for (let i = 0; i < index; i++) schedule.next();
  }
  next(): number {
    const due = this.schedule.next();
    for (let i = 1; i < this.count; i++) this.schedule.next();
    return due;
  }
}

/**
 * Takes every arrival due at or before `nowMs` (and before `endMs`) from a schedule, keeping the
 * first not-yet-due one. Pure bookkeeping around ArrivalSchedule for the driver's timer loop.
 */
export class DueQueue {
  private pendingMs: number;
  constructor(
    private readonly schedule: DueTimes,
    private readonly endMs: number,
  ) {
    this.pendingMs = schedule.next();
  }
  /** Due times in [.., nowMs] that fall before endMs, in order. */
  takeDue(nowMs: number): number[] {
    const out: number[] = [];
    while (this.pendingMs <= nowMs && this.pendingMs < this.endMs) {
      out.push(this.pendingMs);
      this.pendingMs = this.schedule.next();
    }
    return out;
  }
  /** Due time of the next arrival, or undefined when the schedule has ended. */
  nextDueMs(): number | undefined {
    return this.pendingMs < this.endMs ? this.pendingMs : undefined;
  }
}

/** The rates of a ramp, from `from` to `to` inclusive in steps of `by`. */
export function rampRates(spec: RampSpec): number[] {
  const rates: number[] = [];
  for (let r = spec.fromPerSec; r <= spec.toPerSec + 1e-9; r += spec.byPerSec) rates.push(r);
  return rates;
}

/** Parses "200" or a ramp "50:1000:50" (from:to:step). Throws RangeError with what is expected. */
export function parseRateSpec(text: string): { ratePerSec: number } | { ramp: Omit<RampSpec, 'stepMs'> } {
  const parts = text.split(':');
  const nums = parts.map((p) => Number(p.trim()));
  if (parts.some((p) => p.trim() === '') || nums.some((n) => !Number.isFinite(n) || n <= 0)) {
    throw new RangeError(
      `expected a rate such as "200" or a ramp "from:to:step" such as "50:1000:50", ` + `got "${text}"`,
    );
  }
  if (nums.length === 1) return { ratePerSec: nums[0]! };
  if (nums.length !== 3) throw new RangeError(`a ramp needs three numbers "from:to:step", got "${text}"`);
  const [fromPerSec, toPerSec, byPerSec] = nums as [number, number, number];
  if (toPerSec < fromPerSec) throw new RangeError(`ramp "${text}" ends below where it starts`);
  return { ramp: { fromPerSec, toPerSec, byPerSec } };
}
