// One simulated replica (simulate): a FIFO batch queue and one session that runs a batch at a time,
// forming batches as the replica's batcher does (full batch, or the oldest request waited the batch
// window, or at once when the session has just finished one); starting, ready, draining, stopped.
import type { Clock, TimerHandle } from '../common/clock.js';

/** A request in the simulation: when it reached the gateway. */
export interface SimRequest {
  arrivedMs: number;
}

export interface ReplicaModelOptions {
  clock: Clock;
  maxBatchSize: number;
  batchWaitMs: number;
  /** Run time of a batch of `rows` in ms. */
  serviceMs(rows: number): number;
  /** A batch finished: its requests are answered now. */
  onDone(replica: SimReplica, done: readonly SimRequest[]): void;
  /** A queued request's budget (the gateway's request timeout) ran out: answered 504 without running. */
  budgetMs: number;
  onExpired(r: SimRequest): void;
}

export class SimReplica {
  phase: 'starting' | 'ready' | 'draining' | 'stopped' = 'starting';
  /** When it started (and, once stopped, when it stopped), for replica-seconds. */
  readonly startedMs: number;
  stoppedMs: number | undefined;
  private queue: SimRequest[] = [];
  private head = 0;
  private running: SimRequest[] = [];
  /** The session is running a batch (or answering one: new requests then wait for the next). */
  private busy = false;
  private waitTimer: TimerHandle | undefined;

  constructor(
    readonly id: number,
    private readonly o: ReplicaModelOptions,
  ) {
    this.startedMs = o.clock.nowMs();
  }

  /** Requests received and not yet answered (what its serve_replica_in_flight reports). */
  get inFlight(): number {
    return this.queued + this.running.length;
  }

  /** Requests waiting for the session. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Routed to: it is ready and not draining. */
  get routable(): boolean {
    return this.phase === 'ready';
  }

  submit(r: SimRequest): void {
    this.queue.push(r);
    if (!this.busy) this.pump(false);
  }

  /** Stops taking requests; stops once the last one is answered. */
  drain(): void {
    if (this.phase === 'starting') return this.stop();
    this.phase = 'draining';
    this.o.clock.clearTimer(this.waitTimer);
    this.waitTimer = undefined;
    if (this.inFlight === 0) this.stop();
    // A drain does not wait for company: what is queued runs as soon as the session is free.
    else if (!this.busy) this.pump(true);
  }

  stop(): void {
    this.phase = 'stopped';
    this.stoppedMs = this.o.clock.nowMs();
    this.o.clock.clearTimer(this.waitTimer);
  }

  private pump(sessionJustFreed: boolean): void {
    const now = this.o.clock.nowMs();
    // As the replica's batcher does: a request whose deadline passed in the queue is not run.
    while (this.head < this.queue.length && now - this.queue[this.head]!.arrivedMs > this.o.budgetMs)
      this.o.onExpired(this.queue[this.head++]!);
    if (this.phase === 'draining' && this.inFlight === 0) return this.stop();
    const n = this.queued;
    if (n === 0) return;
    const oldest = this.queue[this.head]!.arrivedMs;
    const due = oldest;
    if (!sessionJustFreed && this.phase !== 'draining' && n < this.o.maxBatchSize && now < due + this.o.batchWaitMs) {
      if (this.waitTimer === undefined)
        this.waitTimer = this.o.clock.setTimer(() => this.onWait(), due + this.o.batchWaitMs - now);
      return;
    }
    this.o.clock.clearTimer(this.waitTimer);
    this.waitTimer = undefined;
    const rows = Math.min(n, this.o.maxBatchSize);
    this.running = this.queue.slice(this.head, this.head + rows);
    this.busy = true;
    this.head += rows;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.o.clock.setTimer(() => this.onBatchDone(), this.o.serviceMs(rows));
  }

  private onWait(): void {
    this.waitTimer = undefined;
    if (!this.busy) this.pump(false);
  }

  private onBatchDone(): void {
    const done = this.running;
    this.running = [];
    // Requests routed here while the answers go out queue for the next batch.
    this.o.onDone(this, done);
    this.busy = false;
    if (this.queued > 0) this.pump(true);
    else if (this.phase === 'draining') this.stop();
  }
}
