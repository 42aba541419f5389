// One simulated replica (simulate): its main thread's per-request handling (reading, parsing and
// answering a request: `handlingMs` each, one request at a time, first come first served), then the
// replica's own batch queue and batching rule (common/batching: the profile's batching.mode,
// max_batch_size, batch_wait_timeout and max_queued_requests) in front of one session that runs a
// batch at a time; starting, ready, draining, stopped. Its in-flight and queued counts are also
// kept as time averages (the controller's samples, time-average.ts).
import type { Clock, TimerHandle } from '../common/clock.js';
import { ArrivalRate, type BatchCostCurve } from '../common/batching/adaptive-batching.js';
import {
  BatchQueue,
  GATEWAY_HINT_FRESH_MS,
  type BatchPolicy,
  type QueuedItem,
} from '../common/batching/batch-queue.js';
import type { BatchingMode } from '../common/settings/table.js';
import { TimeAverage } from './time-average.js';

/** A request in the simulation: when it reached the gateway. */
export interface SimRequest {
  arrivedMs: number;
  /** The replica whose full queue refused it (503): the gateway's one retry goes elsewhere. */
  refusedBy?: SimReplica;
  /** Requests in flight from the gateway to the replica when it was sent, this one included. */
  gatewayInflight?: number;
}

interface Queued extends QueuedItem {
  r: SimRequest;
}

/** Every request has the default priority: the sim has no x-serve-priority. */
const PRIORITY = 0;

export interface ReplicaModelOptions {
  clock: Clock;
  mode: BatchingMode;
  maxBatchSize: number;
  batchWaitMs: number;
  /** Requests queued beyond which the replica answers 503 at once (max_queued_requests). */
  maxQueuedRequests: number;
  /** Run time of a batch of `rows` in ms. */
  serviceMs(rows: number): number;
  /**
   * Main-thread time per request outside the session (HTTP, JSON, answering), ms: served one at a
   * time before the batch queue, so it queues when requests come close together. 0: none.
   */
  handlingMs: number;
  /** What adaptive mode weighs: the batch-cost curve (a replica measures it at warm-up). */
  curve: BatchCostCurve;
  /** A batch finished: its requests are answered now. */
  onDone(replica: SimReplica, done: readonly SimRequest[]): void;
  /** A queued request's budget (the gateway's request timeout) ran out: answered 504 without running. */
  budgetMs: number;
  onExpired(r: SimRequest): void;
  /** The queue was full: answered 503 at once. */
  onRefused(replica: SimReplica, r: SimRequest): void;
}

export class SimReplica {
  phase: 'starting' | 'ready' | 'draining' | 'stopped' = 'starting';
  /** When it started (and, once stopped, when it stopped), for replica-seconds. */
  readonly startedMs: number;
  stoppedMs: number | undefined;
  /** serve_replica_in_flight and serve_replica_queue_depth over time. */
  readonly inFlightLevel: TimeAverage;
  readonly queuedLevel: TimeAverage;
  private readonly queue: BatchQueue<Queued>;
  /** Requests received and waiting for, or being handled by, the main thread (the first is being handled). */
  private handling: SimRequest[] = [];
  private handlingHead = 0;
  private handlingTimer: TimerHandle | undefined;
  private policy: BatchPolicy;
  private running: SimRequest[] = [];
  /** The session is running a batch (or answering one: new requests then wait for the next). */
  private busy = false;
  private waitTimer: TimerHandle | undefined;
  private waitAtMs = Infinity;
  private readonly arrivals = new ArrivalRate();
  /** The gateway's in-flight count to this replica with the latest request, and when (x-serve-inflight). */
  private hint = { inflight: 0, atMs: -Infinity };

  constructor(
    readonly id: number,
    private readonly o: ReplicaModelOptions,
  ) {
    this.startedMs = o.clock.nowMs();
    this.inFlightLevel = new TimeAverage(this.startedMs);
    this.queuedLevel = new TimeAverage(this.startedMs);
    this.queue = new BatchQueue<Queued>(o.maxQueuedRequests);
    this.policy = { maxBatchSize: o.maxBatchSize, batchWaitMs: o.batchWaitMs, batching: true, mode: o.mode };
  }

  /** Requests received and not yet answered (what its serve_replica_in_flight reports). */
  get inFlight(): number {
    return this.handling.length - this.handlingHead + this.queue.size + this.running.length;
  }

  /** Requests waiting for the session. */
  get queued(): number {
    return this.queue.size;
  }

  /** Routed to: it is ready and not draining. */
  get routable(): boolean {
    return this.phase === 'ready';
  }

  submit(r: SimRequest): void {
    if (!(this.o.handlingMs > 0)) return this.enqueue(r, this.inFlight + 1);
    this.handling.push(r);
    r.gatewayInflight = this.inFlight;
    this.levelsChanged();
    if (this.handling.length - this.handlingHead === 1) this.handleNext();
  }

  /** The main thread takes the next request; once handled, it goes to the batch queue. */
  private handleNext(): void {
    this.handlingTimer = this.o.clock.setTimer(() => {
      this.handlingTimer = undefined;
      const r = this.handling[this.handlingHead++]!;
      if (this.handlingHead > 1024 && this.handlingHead * 2 > this.handling.length) {
        this.handling = this.handling.slice(this.handlingHead);
        this.handlingHead = 0;
      }
      if (this.phase === 'stopped') return;
      this.enqueue(r, r.gatewayInflight ?? 1);
      if (this.handling.length > this.handlingHead) this.handleNext();
    }, this.o.handlingMs);
  }

  /** Into the batch queue (503 when full), `gatewayInflight` the gateway's count when it sent the request. */
  private enqueue(r: SimRequest, gatewayInflight: number): void {
    const now = this.o.clock.nowMs();
    this.arrivals.record(now, 1);
    // The gateway counts the request it sends among those in flight to the replica.
    this.hint = { inflight: gatewayInflight, atMs: now };
    const item = { rows: 1, priority: PRIORITY, enqueuedMs: now, deadlineMs: r.arrivedMs + this.o.budgetMs, r };
    const accepted = this.queue.offer(item).accepted;
    this.levelsChanged();
    if (!accepted) return this.o.onRefused(this, r);
    if (!this.busy) this.pump(false);
  }

  /** Stops taking requests; stops once the last one is answered. */
  drain(): void {
    if (this.phase === 'starting') return this.stop();
    this.phase = 'draining';
    // As the batcher's flushNow: what is queued runs as soon as the session is free.
    this.policy = { ...this.policy, batchWaitMs: 0 };
    this.clearWait();
    if (this.inFlight === 0) this.stop();
    else if (!this.busy) this.pump(false);
  }

  stop(): void {
    this.phase = 'stopped';
    this.stoppedMs = this.o.clock.nowMs();
    this.clearWait();
    this.o.clock.clearTimer(this.handlingTimer);
  }

  /** What the batcher does when the session is free: expire, then ask the pure core. */
  private pump(afterRun: boolean): void {
    const now = this.o.clock.nowMs();
    const expired = this.queue.expire(now);
    for (const q of expired) this.o.onExpired(q.r);
    if (expired.length > 0) this.levelsChanged();
    if (this.phase === 'draining' && this.inFlight === 0) return this.stop();
    const d = this.queue.decide(
      now,
      this.policy,
      afterRun,
      this.policy.mode === 'adaptive'
        ? {
            rowsPerMs: this.arrivals.rowsPerMs(now),
            curve: this.o.curve,
            gatewayInflight: now - this.hint.atMs <= GATEWAY_HINT_FRESH_MS ? this.hint.inflight : 0,
          }
        : undefined,
    );
    if (d.kind === 'run') {
      this.clearWait();
      this.running = d.items.map((q) => q.r);
      this.busy = true;
      this.levelsChanged();
      this.o.clock.setTimer(() => this.onBatchDone(), this.o.serviceMs(d.rows));
    } else if (d.kind === 'wait') {
      if (d.untilMs < this.waitAtMs) {
        this.clearWait();
        this.waitAtMs = d.untilMs;
        this.waitTimer = this.o.clock.setTimer(() => this.onWait(), d.untilMs - now);
      }
    } else this.clearWait();
  }

  private onWait(): void {
    this.waitTimer = undefined;
    this.waitAtMs = Infinity;
    if (!this.busy) this.pump(false);
  }

  private clearWait(): void {
    this.o.clock.clearTimer(this.waitTimer);
    this.waitTimer = undefined;
    this.waitAtMs = Infinity;
  }

  private onBatchDone(): void {
    const done = this.running;
    this.running = [];
    this.levelsChanged();
    // Requests routed here while the answers go out queue for the next batch.
    this.o.onDone(this, done);
    this.busy = false;
    if (this.queued > 0) this.pump(true);
    else if (this.phase === 'draining' && this.inFlight === 0) this.stop();
  }

  private levelsChanged(): void {
    const now = this.o.clock.nowMs();
    this.inFlightLevel.set(now, this.inFlight);
    this.queuedLevel.set(now, this.queued);
  }
}
