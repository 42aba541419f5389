// The dynamic batcher's shell (data plane, replica): queues jobs, asks the pure core (common/batching/batch-queue.ts)
// when to run, copies rows into reused buffers, runs the session and hands each job its own rows.
import type { Clock, TimerHandle } from '../common/clock.js';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { ArrivalRate, RunTimeScale, type BatchCostCurve } from '../common/batching/adaptive-batching.js';
import type { BatcherHooks, Job } from './batch-job.js';
import { batchFeeds, deliver, reclaimBuffers } from './batch-tensors.js';
import { BatchQueue, GATEWAY_HINT_FRESH_MS, type BatchPolicy } from '../common/batching/batch-queue.js';
import { HttpError } from './http-error.js';
import type { ServedModel } from './served-model.js';
import type { ModelSession, SessionTensor } from './session.js';
import type { TensorData } from './tensor.js';

/** Runs batches one at a time on one session. */
export class Batcher {
  private readonly queue: BatchQueue<Job>;
  private buffers: TensorData[];
  private running = false;
  private pumpScheduled = false;
  private timer: TimerHandle | undefined;
  private timerAtMs = Infinity;
  private idleWaiters: Array<() => void> = [];
  /** Adaptive mode's signals: rows arriving per ms, and the batch-cost curve measured at warm-up. */
  private readonly arrivals = new ArrivalRate();
  private curve: BatchCostCurve | undefined;
  private readonly runScale = new RunTimeScale();
  /** The gateway's in-flight count to this replica from the latest request that carried one, and when. */
  private hint = { inflight: 0, atMs: -Infinity };
  /** Rows the batch buffers hold: the largest maxBatchSize so far (they grow, never shrink). */
  private bufferRows: number;

  constructor(
    private readonly model: ServedModel,
    private readonly session: ModelSession,
    private policy: BatchPolicy,
    maxQueued: number,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly hooks: BatcherHooks = {},
  ) {
    this.queue = new BatchQueue<Job>(maxQueued);
    // One buffer per input, sized for a full batch and reused by every batch (lent to a worker
    // session for the run and handed back, so batches are neither copied nor garbage).
    this.buffers = model.inputs.map((t) => new t.dt.ctor(policy.maxBatchSize * t.rowElements));
    this.bufferRows = policy.maxBatchSize;
  }

  /**
   * Changes how the next batches form (a live reconfigure): a batch already running keeps its rows;
   * the buffers grow to a larger maxBatchSize now or, while they are lent to a run, when it ends.
   */
  setPolicy(change: Partial<Pick<BatchPolicy, 'maxBatchSize' | 'batchWaitMs'>>): void {
    this.policy = { ...this.policy, ...change };
    if (this.policy.maxBatchSize > this.bufferRows) {
      this.bufferRows = this.policy.maxBatchSize;
      if (!this.running) this.buffers = this.model.inputs.map((t) => new t.dt.ctor(this.bufferRows * t.rowElements));
    }
    if (!this.running && !this.pumpScheduled) this.pump();
  }

  /** Requests waiting (not yet running). */
  get queued(): number {
    return this.queue.size;
  }

  /** Gives adaptive mode the model's batch-cost curve (until then a free session runs at once). */
  setCostCurve(curve: BatchCostCurve): void {
    this.curve = curve;
  }

  /** Queues `job`, or answers it 503 at once when the queue is full of equal or higher priority. */
  submit(job: Job): void {
    this.arrivals.record(job.enqueuedMs, job.rows);
    if (job.gatewayInflight !== undefined) this.hint = { inflight: job.gatewayInflight, atMs: job.enqueuedMs };
    const offered = this.queue.offer(job);
    if (!offered.accepted) {
      job.done({ ok: false, error: new HttpError(503, 'replica queue is full: retry shortly', 1) });
      return;
    }
    if (offered.evicted) {
      offered.evicted.done({
        ok: false,
        error: new HttpError(503, 'shed for a higher-priority request: retry shortly', 1),
      });
    }
    this.hooks.onQueueDepth?.(this.queue.size);
    if (!this.running && !this.pumpScheduled) this.pump();
  }

  /** Stops waiting for company: queued requests run as soon as the session is free (for a drain). */
  flushNow(): void {
    this.policy = { ...this.policy, batchWaitMs: 0 };
    if (!this.running && !this.pumpScheduled) this.pump();
  }

  /** Resolves when nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (!this.running && this.queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Answers every queued request with `error` (for an immediate close). */
  failAll(error: HttpError): void {
    for (const job of this.queue.takeAll()) job.done({ ok: false, error });
    this.hooks.onQueueDepth?.(0);
    this.clearTimer();
  }

  /** Decides what to do now; `afterRun` when the session has just finished a batch. */
  private pump(afterRun = false): void {
    const now = this.clock.nowMs();
    const expired = this.queue.expire(now);
    for (const job of expired) {
      job.done({
        ok: false,
        error: new HttpError(
          504,
          `deadline passed after ${Math.round(now - job.enqueuedMs)}ms in the queue; the ` + `model was not run`,
        ),
      });
    }
    const decision = this.queue.decide(
      now,
      this.policy,
      afterRun,
      this.policy.mode === 'adaptive'
        ? {
            rowsPerMs: this.arrivals.rowsPerMs(now),
            curve: this.curve,
            costScale: this.runScale.value,
            gatewayInflight: now - this.hint.atMs <= GATEWAY_HINT_FRESH_MS ? this.hint.inflight : 0,
          }
        : undefined,
    );
    if (decision.kind === 'run') {
      this.clearTimer();
      this.hooks.onQueueDepth?.(this.queue.size);
      void this.runBatch(decision.items, decision.rows, now);
    } else if (decision.kind === 'wait') {
      if (decision.untilMs < this.timerAtMs) this.setTimer(decision.untilMs, now);
    } else {
      if (expired.length > 0) this.hooks.onQueueDepth?.(0);
      this.clearTimer();
      this.notifyIdle();
    }
  }

  private setTimer(atMs: number, nowMs: number): void {
    this.clearTimer();
    this.timerAtMs = atMs;
    this.timer = this.clock.setTimer(
      () => {
        this.timer = undefined;
        this.timerAtMs = Infinity;
        if (!this.running) this.pump();
      },
      Math.max(0, atMs - nowMs),
    );
  }

  private clearTimer(): void {
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAtMs = Infinity;
  }

  private async runBatch(jobs: Job[], rows: number, startMs: number): Promise<void> {
    this.running = true;
    let outputs: Record<string, SessionTensor> | undefined;
    let failure: unknown;
    const t0 = this.clock.nowMs();
    // A worker session's ring slot when one is free: the rows are copied once, into shared memory.
    const shared = this.sharedBuffers();
    const feeds = batchFeeds(this.model, shared ?? this.buffers, jobs, rows, !shared);
    try {
      outputs = await this.session.run(feeds);
    } catch (err) {
      failure = err;
    }
    if (!shared) reclaimBuffers(this.model, this.buffers, this.bufferRows, feeds);
    const inferMs = this.clock.nowMs() - t0;
    if (this.curve !== undefined && outputs) this.runScale.record(this.curve, rows, inferMs);
    this.running = false;
    // A session in a worker left the event loop free during the run: every request that arrived
    // meanwhile is already queued, so the next batch starts now and computes while this batch's
    // responses are written (the session would otherwise idle through the answering).
    const startNext = this.session.offThread === true && this.queue.size > 0;
    if (startNext) this.pump(true);
    this.hooks.onBatch?.(rows, inferMs);
    if (outputs) deliver(this.model, jobs, rows, outputs, startMs, inferMs);
    else {
      this.log.error('inference failed', { error: errorMessage(failure), rows, requests: jobs.length });
      for (const job of jobs)
        job.done({ ok: false, error: new HttpError(500, 'inference failed inside the model runtime') });
    }
    if (startNext) return;
    // Defer the next decision past the poll phase, so requests that arrived while the session
    // blocked the event loop join the next batch instead of a premature small one.
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      if (!this.running) this.pump(true);
    });
  }

  /** The session's shared input arrays for a full batch, in model input order, if it has them free. */
  private sharedBuffers(): TensorData[] | undefined {
    const byName = this.session.feedBuffers?.(this.bufferRows);
    if (!byName) return undefined;
    const arrays = this.model.inputs.map((t) => byName[t.name]);
    return arrays.every((a) => a !== undefined) ? (arrays as TensorData[]) : undefined;
  }

  private notifyIdle(): void {
    if (this.running || this.queue.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
