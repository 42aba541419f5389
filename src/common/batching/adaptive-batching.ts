// Adaptive batching's pure rule (common: the replica's batcher and the simulator): how long a free session should wait for more
// rows, from the measured arrival rate and the model's batch-cost curve (measured at warm-up). Time
// comes from the caller's Clock; batch-queue.ts asks this module, the batcher shell
// (replica/batcher.ts) and the simulator's replica feed it.

/** One measured point of the batch-cost curve: a model run of `rows` rows took `ms`. */
export interface CostPoint {
  rows: number;
  ms: number;
}

/**
 * The time one model run takes as a function of its rows, c(b): piecewise linear through the
 * measured points, c(0) = 0 (so a fraction of a row is that fraction of a one-row run: the
 * expected cost when a row may or may not come), and extended past the last point along its slope.
 */
export class BatchCostCurve {
  private readonly points: CostPoint[];

  constructor(points: readonly CostPoint[]) {
    const sorted = points
      .filter((p) => p.rows > 0 && Number.isFinite(p.ms) && p.ms >= 0)
      .sort((a, b) => a.rows - b.rows);
    if (sorted.length === 0) throw new RangeError('a batch-cost curve needs at least one measured point');
    // Keep it non-decreasing: a noisy measurement must not make a bigger batch look cheaper.
    for (let i = 1; i < sorted.length; i++)
      if (sorted[i]!.ms < sorted[i - 1]!.ms) sorted[i] = { rows: sorted[i]!.rows, ms: sorted[i - 1]!.ms };
    this.points = [{ rows: 0, ms: 0 }, ...sorted];
  }

  /** The measured points (without the origin). */
  get measured(): readonly CostPoint[] {
    return this.points.slice(1);
  }

  /** Expected milliseconds of one run of `rows` rows (fractions allowed). */
  costMs(rows: number): number {
    const p = this.points;
    if (rows <= 0) return 0;
    let i = 1;
    while (i < p.length - 1 && p[i]!.rows < rows) i++;
    const a = p[i - 1]!;
    const b = p[i]!;
    return a.ms + ((b.ms - a.ms) * (rows - a.rows)) / (b.rows - a.rows);
  }
}

const RATE_SAMPLES = 32;
/** Arrivals older than this say nothing about the rate now (ms). */
const RATE_WINDOW_MS = 1000;

/**
 * Rows arriving per millisecond, from the last few arrivals (at most RATE_SAMPLES within the last
 * RATE_WINDOW_MS): the rows after the oldest of them over the time from it to now, so a silence
 * lowers the estimate by itself. Allocation-free: a ring of times and rows.
 */
export class ArrivalRate {
  private readonly times = new Float64Array(RATE_SAMPLES);
  private readonly rows = new Float64Array(RATE_SAMPLES);
  private next = 0;
  private count = 0;

  /** Records `rows` arriving at `nowMs`. */
  record(nowMs: number, rows: number): void {
    this.times[this.next] = nowMs;
    this.rows[this.next] = rows;
    this.next = (this.next + 1) % RATE_SAMPLES;
    if (this.count < RATE_SAMPLES) this.count++;
  }

  /** Rows per millisecond at `nowMs`; 0 with fewer than two recent arrivals. */
  rowsPerMs(nowMs: number): number {
    let oldestMs = Infinity;
    let rows = 0;
    let n = 0;
    for (let k = 0; k < this.count; k++) {
      const i = (this.next - 1 - k + RATE_SAMPLES) % RATE_SAMPLES;
      const t = this.times[i]!;
      if (nowMs - t > RATE_WINDOW_MS) break; // older ones are older still
      if (n > 0) rows += this.rows[(i + 1) % RATE_SAMPLES]!;
      oldestMs = t;
      n++;
    }
    const spanMs = nowMs - oldestMs;
    return n < 2 || spanMs <= 0 ? 0 : rows / spanMs;
  }
}

/** What the rule looks at when the session is free and rows are queued. */
export interface WaitInput {
  /** Rows queued now, n (> 0). */
  queuedRows: number;
  /** Measured arrival rate, λ (rows/ms). */
  rowsPerMs: number;
  curve: BatchCostCurve;
  maxBatchSize: number;
  /** How much longer the oldest queued row may wait (batch_wait_timeout minus its age), ms. */
  waitLeftMs: number;
  /** Runs take this many times what the curve says now (CPU shared with other work); default 1. */
  costScale?: number;
}

/** Weight of the newest run in RunTimeScale's moving average. */
const SCALE_WEIGHT = 0.1;
const MIN_SCALE = 0.5;
const MAX_SCALE = 50;

/**
 * How much longer runs take now than the warm-up curve says: a moving average of actual / predicted
 * run time. On a machine whose CPUs are shared (the gateway, other replicas, other work), a run's
 * fixed cost grows with the wait for a CPU, and so does what sharing a run saves.
 */
export class RunTimeScale {
  value = 1;

  /** Records one run of `rows` that took `ms`. */
  record(curve: BatchCostCurve, rows: number, ms: number): void {
    const predicted = curve.costMs(rows);
    if (!(predicted > 0) || !(ms >= 0)) return;
    const ratio = Math.min(MAX_SCALE, Math.max(MIN_SCALE, ms / predicted));
    this.value += SCALE_WEIGHT * (ratio - this.value);
  }
}

/** Candidate waits tried between 0 and waitLeftMs: waitLeftMs·(i/STEPS)², fine where waits are short. */
const STEPS = 16;

/**
 * Expected gain, in row-milliseconds of latency, of waiting `waitMs` before running instead of
 * running now. Waiting gathers k = λ·w more rows (up to a full batch). Running now, the n queued
 * rows finish at c(n) and the k arrivals, queued during that run, in a run of their own at
 * c(n) + c(k). Waiting, all n + k finish at w + c(n + k). So the k arrivals gain
 * S − w each, where S = c(n) + c(k) − c(n + k) is the run time saved by sharing one run, and
 * the n queued rows lose w + c(n + k) − c(n) each:  gain = k·(S − w) − n·(w + c(n + k) − c(n)).
 */
export function waitGain(input: WaitInput, waitMs: number): number {
  const { queuedRows: n, curve } = input;
  const scale = input.costScale ?? 1;
  const k = Math.min(input.rowsPerMs * waitMs, input.maxBatchSize - n);
  if (k <= 0) return -n * waitMs;
  const cn = scale * curve.costMs(n);
  const cnk = scale * curve.costMs(n + k);
  const saved = cn + scale * curve.costMs(k) - cnk;
  return k * (saved - waitMs) - n * (waitMs + cnk - cn);
}

/**
 * How long to wait before running the queued rows (0: run now): the candidate wait within
 * `waitLeftMs` with the largest positive expected gain (waitGain), or 0 when no wait gains. A
 * full batch, an idle arrival stream or no time left always runs now.
 */
export function adaptiveWaitMs(input: WaitInput): number {
  if (input.queuedRows >= input.maxBatchSize || input.waitLeftMs <= 0 || input.rowsPerMs <= 0) return 0;
  let bestMs = 0;
  let bestGain = 0;
  for (let i = 1; i <= STEPS; i++) {
    const w = input.waitLeftMs * (i / STEPS) ** 2;
    const gain = waitGain(input, w);
    if (gain > bestGain) {
      bestGain = gain;
      bestMs = w;
    }
  }
  return bestMs;
}
