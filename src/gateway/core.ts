// The gateway's request path (gateway, data plane): admission, the wait queue, dispatch to a
// replica, one retry on a different replica, passive ejection, deadlines and the responses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { TIMEOUT_HEADER } from '../common/wire.js';
import { budgetMs, forwardBudgetMs, MIN_JUDGED_BUDGET_MS } from './deadline.js';
import { Attempt, Exchange, type AttemptSink } from './exchange.js';
import { upstreamRequestHeaders } from './headers.js';
import { writeOwnReply, writeUpstreamReply } from './replies.js';
import type { GatewayMetrics } from './metrics.js';
import type { EjectionPolicy, Upstream } from './upstream.js';
import type { UpstreamSet } from './upstream-set.js';

/** Largest request body the gateway buffers (bytes); bigger ones get 413. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Status counted (never sent) for a request whose client went away while it was queued. */
export const CLIENT_CLOSED = 499;

/** Limits the core enforces; all validated by the caller. */
export interface CoreLimits extends EjectionPolicy {
  maxQueued: number;
  requestTimeoutMs: number;
  /** Taken off the budget passed to a replica, so it answers before the gateway gives up (ms). */
  forwardMarginMs: number;
  /** The cluster token replicas require; undefined: none. */
  replicaToken?: string;
}

/** Plain counters, also exported through stats(). */
export interface CoreCounters {
  requests: number;
  retries: number;
  ejections: number;
}

export class GatewayCore implements AttemptSink {
  /** Requests accepted and not yet answered (reading body, queued or at a replica). */
  active = 0;
  /** Attempts at replicas not yet ended. */
  inflight = 0;
  draining = false;
  readonly counters: CoreCounters = { requests: 0, retries: 0, ejections: 0 };
  private readonly queue: Exchange[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly set: UpstreamSet,
    private readonly limits: CoreLimits,
    private readonly clock: Clock,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Takes a request to forward (infer or metadata): sheds, or reads its body and admits it. */
  accept(req: IncomingMessage, res: ServerResponse, startMs: number): void {
    // A malformed request is the client's to fix whatever the gateway's state: 400 before any 503.
    const budget = budgetMs(req.headers[TIMEOUT_HEADER], this.limits.requestTimeoutMs);
    if (Number.isNaN(budget)) {
      return this.rejectNow(res, startMs, 400, `header ${TIMEOUT_HEADER} must be a positive number of milliseconds`);
    }
    if (this.draining) return this.rejectNow(res, startMs, 503, 'the gateway is draining; retry later');
    if (!this.set.hasAvailable()) return this.rejectNow(res, startMs, 503, this.noReplicaMessage());
    const ex = new Exchange(req, res, startMs, startMs + budget);
    this.active++;
    ex.timer = setTimeout(() => this.onDeadline(ex, budget), budget);
    if (req.method === 'GET' || req.method === 'HEAD') return this.admit(ex);
    this.readBody(ex);
  }

  /** Resolves once no accepted request is left (after drain, or at once). */
  whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Moves waiting requests to replicas with free slots; call after anything frees a slot. */
  pump(): void {
    while (this.queue.length > 0) {
      const ex = this.queue[0]!;
      const u = this.set.pick(ex.exclude);
      if (u === undefined) {
        if (this.set.hasAvailable(ex.exclude)) return; // all busy: wait for a slot
        this.queue.shift();
        ex.queued = false;
        this.finishOwn(ex, 503, this.noReplicaMessage());
        continue;
      }
      this.queue.shift();
      ex.queued = false;
      this.dispatch(ex, u);
    }
  }

  private readBody(ex: Exchange): void {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const tooLarge = () => {
      // Close the connection after the 413 instead of reading (and dropping) the rest of the body.
      ex.res.setHeader('connection', 'close');
      this.finishOwn(ex, 413, `request body is larger than ${MAX_BODY_BYTES} bytes`);
    };
    if (Number(ex.req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return tooLarge();
    ex.req.on('data', (chunk: Buffer) => {
      if (ex.done) return;
      bytes += chunk.length;
      if (bytes > MAX_BODY_BYTES) return tooLarge();
      chunks.push(chunk);
    });
    ex.req.on('end', () => {
      if (ex.done) return;
      ex.body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
      this.admit(ex);
    });
    ex.req.on('error', () => this.finishOwn(ex, 400, 'the request body could not be read'));
  }

  private admit(ex: Exchange): void {
    const u = this.set.pick(ex.exclude);
    if (u !== undefined) return this.dispatch(ex, u);
    if (!this.set.hasAvailable(ex.exclude)) return this.finishOwn(ex, 503, this.noReplicaMessage());
    if (ex.retried) {
      // A retry was accepted once already: it goes first and does not count against the cap.
      this.queue.unshift(ex);
    } else {
      if (this.queue.length >= this.limits.maxQueued) {
        return this.finishOwn(ex, 503, `the gateway queue is full (${this.limits.maxQueued} requests waiting for a replica)`);
      }
      this.queue.push(ex);
    }
    if (!ex.watchingClose) {
      // Only queued requests watch for a hang-up: the common, unqueued path adds no listener.
      ex.watchingClose = true;
      ex.res.once('close', () => this.onClientGone(ex));
    }
    ex.queued = true;
  }

  /** The client hung up while its request waited: free the queue slot (status 499, as nginx logs it). */
  private onClientGone(ex: Exchange): void {
    if (ex.done || !ex.queued) return;
    const i = this.queue.indexOf(ex);
    if (i >= 0) this.queue.splice(i, 1);
    ex.queued = false;
    this.finish(ex, CLIENT_CLOSED, this.clock.nowMs() - ex.startMs);
  }

  private dispatch(ex: Exchange, u: Upstream): void {
    const nowMs = this.clock.nowMs();
    u.inflight++;
    this.inflight++;
    const attempt = new Attempt(ex, u, nowMs, this);
    ex.attempt = attempt;
    const budget = forwardBudgetMs(ex.deadlineMs - nowMs, this.limits.forwardMarginMs);
    attempt.forwardedBudgetMs = budget;
    u.pool.dispatch(
      { path: ex.req.url!, method: ex.req.method as 'GET', headers: upstreamRequestHeaders(ex.req.rawHeaders, budget, this.limits.replicaToken), body: ex.body },
      attempt,
    );
  }

  shouldRetryShed(a: Attempt): boolean {
    return !a.exchange.retried && !a.exchange.done && this.set.hasAvailable(a.upstream);
  }

  attemptDone(a: Attempt): void {
    const ex = this.release(a);
    // Abandoned: answered 504 already, and the timeout was counted as a failure then.
    if (a.abandoned) return this.pump();
    const u = a.upstream;
    if (a.shed) {
      this.retry(ex, u, 'shed');
    } else {
      if (a.status >= 500 && a.status !== 503 && a.status !== 504) this.failure(u, `status ${a.status}`);
      else if (a.status !== 503) u.recordSuccess();
      this.respond(ex, a);
    }
    this.pump();
  }

  attemptFailed(a: Attempt, err: Error): void {
    const ex = this.release(a);
    if (a.abandoned) return this.pump();
    const u = a.upstream;
    const reason = (err as { code?: string }).code ?? err.message;
    this.failure(u, reason);
    if (!a.headersSeen && !ex.retried && this.set.hasAvailable(u)) this.retry(ex, u, 'connect');
    else if (a.headersSeen) this.finishOwn(ex, 502, `replica ${u.id} broke off its response (${reason})`);
    else this.finishOwn(ex, 502, `replica ${u.id} failed before answering (${reason})`);
    this.pump();
  }

  private release(a: Attempt): Exchange {
    a.upstream.inflight--;
    this.inflight--;
    const ex = a.exchange;
    ex.upstreamMs += this.clock.nowMs() - a.startMs;
    if (ex.attempt === a) ex.attempt = null;
    return ex;
  }

  private retry(ex: Exchange, from: Upstream, reason: 'connect' | 'shed'): void {
    if (ex.done) return;
    ex.retried = true;
    ex.exclude = from;
    this.counters.retries++;
    this.metrics.retried(reason);
    this.admit(ex);
  }

  private failure(u: Upstream, reason: string): void {
    if (!u.recordFailure(this.clock, this.limits)) return;
    this.counters.ejections++;
    this.metrics.ejected();
    this.log.warn('replica ejected', { replica: u.id, url: u.url, reason, ejectForMs: this.limits.ejectForMs });
  }

  private onDeadline(ex: Exchange, budget: number): void {
    ex.timer = null;
    if (ex.done) return;
    if (ex.queued) {
      const i = this.queue.indexOf(ex);
      if (i >= 0) this.queue.splice(i, 1);
      ex.queued = false;
    }
    const a = ex.attempt;
    if (a !== null && !a.ended) {
      if (a.forwardedBudgetMs >= MIN_JUDGED_BUDGET_MS) this.failure(a.upstream, 'timeout');
      a.abandon();
    }
    this.finishOwn(ex, 504, `no answer within the deadline of ${budget} ms`);
  }

  private respond(ex: Exchange, a: Attempt): void {
    if (ex.done) return;
    const totalMs = this.clock.nowMs() - ex.startMs;
    writeUpstreamReply(ex, a, totalMs);
    this.finish(ex, a.status, totalMs);
  }

  /** Answers an accepted request with the gateway's own error. */
  private finishOwn(ex: Exchange, status: number, message: string): void {
    if (ex.done) return;
    const totalMs = this.replyOwn(ex.res, ex.startMs, status, message, ex.upstreamMs);
    this.finish(ex, status, totalMs);
  }

  private finish(ex: Exchange, status: number, totalMs: number): void {
    ex.done = true;
    if (ex.timer !== null) clearTimeout(ex.timer);
    this.counters.requests++;
    this.metrics.observe(status, totalMs / 1000);
    if (--this.active === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Answers before the request was accepted (draining, nothing ready, bad header): counted only. */
  private rejectNow(res: ServerResponse, startMs: number, status: number, message: string): void {
    const totalMs = this.replyOwn(res, startMs, status, message);
    this.counters.requests++;
    this.metrics.observe(status, totalMs / 1000);
  }

  /** Writes `{"error": message}`; returns the gateway time in ms. */
  private replyOwn(res: ServerResponse, startMs: number, status: number, message: string, upstreamMs = 0): number {
    const totalMs = this.clock.nowMs() - startMs;
    writeOwnReply(res, status, message, totalMs, upstreamMs);
    return totalMs;
  }

  private noReplicaMessage(): string {
    const c = this.set.counts();
    return `no ready replica (${c.ready} ready, ${c.ejected} ejected, ${c.not_ready} not ready); retry later`;
  }
}
