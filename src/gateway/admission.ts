// Admission control of the gateway (gateway, data plane): how fast the replicas are completing
// requests, and the pure decisions that shed a request at once (503 + Retry-After) when it could
// not be answered within its budget anyway, so that under overload the admitted ones finish in time.
import type { ShedReason } from './metrics.js';

/** Share of a request's remaining budget that the wait ahead of it may take for it to be queued. */
export const ADMIT_BUDGET_SHARE = 0.5;

const BUCKET_MS = 100;
const BUCKETS = 10;
/** Below this much history the rate is not trusted (ms). */
const MIN_SPAN_MS = 50;
/** Nor below this many completions in the window: a few slow answers say little about capacity. */
const MIN_SAMPLES = 20;

/**
 * Completions per second over the last second, in 100 ms buckets. Times come from the caller (the
 * gateway's Clock), so it is tested exactly; recording is a few additions, no allocation.
 */
export class RateMeter {
  private readonly counts = new Float64Array(BUCKETS);
  private head = 0;
  private headStartMs: number;
  private total = 0;
  private readonly startMs: number;

  constructor(nowMs: number) {
    this.headStartMs = nowMs;
    this.startMs = nowMs;
  }

  /** Counts one completion at `nowMs`. */
  record(nowMs: number): void {
    this.advance(nowMs);
    this.counts[this.head]!++;
    this.total++;
  }

  /** Completions per second over the window ending at `nowMs`; 0 (unknown) with too little history. */
  perSec(nowMs: number): number {
    this.advance(nowMs);
    const spanMs = Math.min((BUCKETS - 1) * BUCKET_MS + (nowMs - this.headStartMs), nowMs - this.startMs);
    if (spanMs < MIN_SPAN_MS || this.total < MIN_SAMPLES) return 0;
    return (this.total * 1000) / spanMs;
  }

  private advance(nowMs: number): void {
    if (nowMs - this.headStartMs < BUCKET_MS) return;
    if (nowMs - this.headStartMs >= BUCKETS * BUCKET_MS) {
      this.counts.fill(0);
      this.total = 0;
      this.headStartMs = nowMs - ((nowMs - this.headStartMs) % BUCKET_MS);
      return;
    }
    while (nowMs - this.headStartMs >= BUCKET_MS) {
      this.head = (this.head + 1) % BUCKETS;
      this.total -= this.counts[this.head]!;
      this.counts[this.head] = 0;
      this.headStartMs += BUCKET_MS;
    }
  }
}

/** A request leaving the queue needs this many times the expected time at a replica still left. */
export const DISPATCH_MARGIN = 2;

/** What admission looks at: the gateway's queue, the requests at replicas, and their completion rate. */
export interface LoadView {
  /** Requests queued ahead of this one (of a higher priority, or of its own with an earlier deadline). */
  queued: number;
  /** Requests queued in all, for the cap; default `queued`. */
  queuedTotal?: number;
  inflight: number;
  completionsPerSec: number;
  /** How long the oldest queued request has been waiting (ms); 0 when none is. */
  oldestWaitMs: number;
}

/**
 * Expected time in ms until a request joining the back of the queue now has been answered: the
 * requests ahead of it (queued and at replicas) and itself at the measured completion rate, and
 * at least as long as the oldest queued request has waited already (the rate swings under
 * overload; the age of the queue's head does not lie). Infinity when nothing completed lately.
 */
export function expectedWaitMs(v: LoadView): number {
  if (v.completionsPerSec <= 0) return Infinity;
  return Math.max(((v.queued + v.inflight + 1) * 1000) / v.completionsPerSec, v.oldestWaitMs);
}

/**
 * True when a request that finds every replica slot taken may wait in the queue: the wait ahead
 * of it takes at most ADMIT_BUDGET_SHARE of its remaining budget. With no completion rate yet
 * (the start of a burst after a quiet spell) it is admitted, and the queue's cap decides.
 */
export function admitToQueue(v: LoadView, remainingMs: number): boolean {
  if (v.completionsPerSec <= 0) return true;
  return expectedWaitMs(v) <= remainingMs * ADMIT_BUDGET_SHARE;
}

/** Why a request is shed instead of queued. */
export interface Refusal {
  reason: Extract<ShedReason, 'queue_full' | 'over_budget'>;
  message: string;
}

/**
 * Whether a request with `remainingMs` of budget that finds every replica slot taken may wait in
 * the queue: undefined if it may, else why not (the queue is full, or admitToQueue says no).
 */
export function queueRefusal(v: LoadView, remainingMs: number, maxQueued: number): Refusal | undefined {
  if ((v.queuedTotal ?? v.queued) >= maxQueued)
    return { reason: 'queue_full', message: `the gateway queue is full (${maxQueued} requests waiting for a replica)` };
  if (admitToQueue(v, remainingMs)) return undefined;
  return {
    reason: 'over_budget',
    message:
      `the replicas are saturated: the requests ahead would take about ` +
      `${Math.round(expectedWaitMs(v))} ms, ` +
      `too much of this request's ${Math.round(remainingMs)} ms budget; retry later`,
  };
}

/**
 * True when a queued request leaving the queue for a replica can still be answered in time: its
 * remaining budget covers DISPATCH_MARGIN times the time the requests already at replicas take at
 * the measured rate. Otherwise it is shed (503) rather than sent to time out at a replica (504).
 */
export function worthDispatching(inflight: number, completionsPerSec: number, remainingMs: number): boolean {
  if (completionsPerSec <= 0) return remainingMs > 0;
  return remainingMs >= (DISPATCH_MARGIN * (inflight + 1) * 1000) / completionsPerSec;
}
