// The dynamic batcher's pure core (common: the replica's batcher and the autoscaling simulator both run it):
// a bounded priority queue that decides which requests form the next batch and when, given only the time
// from an injected clock. The shells (replica/batcher.ts, simulate/replica-model.ts) do the rest; everything
// here is tested on a ManualClock.
import type { BatchingMode } from '../settings/table.js';
import { adaptiveWaitMs, type BatchCostCurve } from './adaptive-batching.js';

/** How long the gateway's in-flight count (GATEWAY_INFLIGHT_HEADER) is believed without a newer one, ms. */
export const GATEWAY_HINT_FRESH_MS = 20;

/** What the core needs to know about a queued request. */
export interface QueuedItem {
  /** Rows this request carries (its batch dimension). */
  rows: number;
  /** 0 (lowest) .. 9 (highest): batched first, shed last. */
  priority: number;
  /** Clock time it was queued, ms. */
  enqueuedMs: number;
  /** Clock time after which it must not run, ms (Infinity: none). */
  deadlineMs: number;
}

/** How batches are formed. */
export interface BatchPolicy {
  /** Rows one session call may take. */
  maxBatchSize: number;
  /** How long the oldest queued request may wait for company, ms. */
  batchWaitMs: number;
  /** false: every request runs alone, at once (the benchmark's "batching off"). */
  batching: boolean;
  /** adaptive: wait only when waiting is expected to pay (adaptive-batching.ts); fixed: always wait up to batchWaitMs. */
  mode: BatchingMode;
}

/** What adaptive mode measures: the arrival rate now and the model's batch-cost curve. */
export interface AdaptiveSignals {
  rowsPerMs: number;
  /** Undefined until warm-up has measured it: then a free session runs at once. */
  curve: BatchCostCurve | undefined;
  /** Runs take this many times what the curve says now (RunTimeScale); default 1. */
  costScale?: number;
  /** Requests the gateway last said it had in flight to this replica (GATEWAY_INFLIGHT_HEADER), recently. */
  gatewayInflight?: number;
}

/** Result of offering a request to a full or non-full queue. */
export type OfferResult<T> = { accepted: true; evicted?: T } | { accepted: false };

/** The core's answer to "what now?". */
export type BatchDecision<T> =
  { kind: 'run'; items: T[]; rows: number } | { kind: 'wait'; untilMs: number } | { kind: 'idle' };

/**
 * Requests ordered by priority (high first), then arrival. Bounded by `maxQueued` requests: when
 * full, a request of higher priority than the lowest queued one evicts the newest of the lowest.
 */
export class BatchQueue<T extends QueuedItem> {
  private readonly items: T[] = [];
  private queuedRows = 0;
  constructor(private readonly maxQueued: number) {}

  get size(): number {
    return this.items.length;
  }
  get rows(): number {
    return this.queuedRows;
  }

  /** Adds `item` unless the queue is full of requests of equal or higher priority. */
  offer(item: T): OfferResult<T> {
    let evicted: T | undefined;
    if (this.items.length >= this.maxQueued) {
      const last = this.items[this.items.length - 1];
      // The last item is the newest of the lowest priority: the one to shed first.
      if (last === undefined || last.priority >= item.priority) return { accepted: false };
      evicted = this.items.pop()!;
      this.queuedRows -= evicted.rows;
    }
    this.insert(item);
    return evicted ? { accepted: true, evicted } : { accepted: true };
  }

  /** Removes and returns every request whose deadline is at or before `nowMs`. */
  expire(nowMs: number): T[] {
    let expired: T[] | undefined;
    for (let i = this.items.length - 1; i >= 0; i--) {
      const it = this.items[i]!;
      if (it.deadlineMs <= nowMs) {
        (expired ??= []).push(it);
        this.items.splice(i, 1);
        this.queuedRows -= it.rows;
      }
    }
    return expired ? expired.reverse() : [];
  }

  /** Removes and returns everything (for shutdown). */
  takeAll(): T[] {
    const all = this.items.splice(0, this.items.length);
    this.queuedRows = 0;
    return all;
  }

  /**
   * Decides what to do at `nowMs` when the session is free. A batch runs when the queued rows fill
   * `maxBatchSize` or the oldest request has waited `batchWaitMs`, and in adaptive mode also when
   * waiting is not expected to pay (adaptiveWaitMs with `signals`); it takes requests in queue order
   * while they fit. Otherwise the caller should call again at `untilMs` (or on the next arrival),
   * which is never later than the earliest deadline, so expired requests are answered on time.
   *
   * `sessionJustFreed` (fixed mode): the session has just finished a batch. Whatever queued
   * meanwhile has already waited for the session, so it runs at once instead of waiting out
   * `batchWaitMs`: under load, batches form from what arrives during a run and the session never
   * idles with work queued. Adaptive mode applies its rule then too (the oldest request's
   * `batchWaitMs` still bounds it), since a model with a large cost per run gains by waiting for
   * the rest of a wave of requests that is on its way.
   */
  decide(nowMs: number, policy: BatchPolicy, sessionJustFreed = false, signals?: AdaptiveSignals): BatchDecision<T> {
    if (this.items.length === 0) return { kind: 'idle' };
    if (!policy.batching) {
      const item = this.items.shift()!;
      this.queuedRows -= item.rows;
      return { kind: 'run', items: [item], rows: item.rows };
    }
    let oldestMs = Infinity;
    let earliestDeadlineMs = Infinity;
    for (const it of this.items) {
      if (it.enqueuedMs < oldestMs) oldestMs = it.enqueuedMs;
      if (it.deadlineMs < earliestDeadlineMs) earliestDeadlineMs = it.deadlineMs;
    }
    const dueMs = oldestMs + policy.batchWaitMs;
    if (this.queuedRows >= policy.maxBatchSize || nowMs >= dueMs) return this.take(policy.maxBatchSize);
    if (policy.mode === 'fixed') {
      if (sessionJustFreed) return this.take(policy.maxBatchSize);
      return { kind: 'wait', untilMs: Math.min(dueMs, earliestDeadlineMs) };
    }
    // Adaptive with a full batch's worth in flight from the gateway: demand is there, so a fuller
    // batch costs little wait and saves CPU every queued request needs (fill it, up to batchWaitMs).
    if ((signals?.gatewayInflight ?? 0) >= policy.maxBatchSize)
      return { kind: 'wait', untilMs: Math.min(dueMs, earliestDeadlineMs) };
    // Adaptive: also right after a run (what queued meanwhile may be the first of a wave worth
    // waiting for), but never past the oldest request's batchWaitMs.
    const curve = signals?.curve;
    const waitMs =
      curve === undefined
        ? 0
        : adaptiveWaitMs({
            queuedRows: this.queuedRows,
            rowsPerMs: signals!.rowsPerMs,
            curve,
            maxBatchSize: policy.maxBatchSize,
            waitLeftMs: dueMs - nowMs,
            costScale: signals!.costScale,
          });
    if (waitMs <= 0) return this.take(policy.maxBatchSize);
    return { kind: 'wait', untilMs: Math.min(nowMs + waitMs, earliestDeadlineMs) };
  }

  private take(maxRows: number): BatchDecision<T> {
    let rows = 0;
    let n = 0;
    while (n < this.items.length && rows + this.items[n]!.rows <= maxRows) rows += this.items[n++]!.rows;
    // A single request is never larger than maxBatchSize (validation caps it), so n >= 1.
    if (n === 0) {
      n = 1;
      rows = this.items[0]!.rows;
    }
    const items = this.items.splice(0, n);
    this.queuedRows -= rows;
    return { kind: 'run', items, rows };
  }

  private insert(item: T): void {
    this.queuedRows += item.rows;
    const items = this.items;
    // Most requests share the default priority: appending is the common case.
    let i = items.length;
    while (i > 0 && items[i - 1]!.priority < item.priority) i--;
    if (i === items.length) items.push(item);
    else items.splice(i, 0, item);
  }
}
