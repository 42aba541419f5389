// The gateway's request path (gateway, data plane): admission, the wait queue, dispatch to a
// replica, one retry on a different replica, passive ejection, deadlines and the responses.
// Overload is answered with 503 + Retry-After before it can time out; only a replica's own faults
// (errors, 5xx, answering nothing at all) count towards ejecting it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../common/clock.js';
import { BODY_STALLED_MESSAGE, guardUnreadBody, watchBody } from '../common/http-hardening.js';
import type { Logger } from '../common/log.js';
import { TIMEOUT_HEADER } from '../common/wire.js';
import { queueRefusal, RateMeter, worthDispatching, type Refusal } from './admission.js';
import { readForwardedBody } from './body.js';
import { budgetMs, forwardBudgetMs, isHung, judgeAtMs } from './deadline.js';
import { Attempt, Exchange, type AttemptSink } from './exchange.js';
import { upstreamRequestHeaders } from './headers.js';
import { writeOwnReply, writeUpstreamReply } from './replies.js';
import type { GatewayMetrics, ShedReason } from './metrics.js';
import type { EjectionPolicy, Upstream } from './upstream.js';
import type { UpstreamSet } from './upstream-set.js';

/** Status counted (never sent) for a request whose client went away while it was queued. */
export const CLIENT_CLOSED = 499;
/** After shedding, the gateway counts as overloaded this long (ms). */
const OVERLOAD_MEMORY_MS = 1000;

/** Limits the core enforces; all validated by the caller. */
export interface CoreLimits extends EjectionPolicy {
  maxQueued: number;
  requestTimeoutMs: number;
  /** Taken off the budget passed to a replica, so it answers before the gateway gives up (ms). */
  forwardMarginMs: number;
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
  /** Replica answers per second, for admission. */
  private readonly completions: RateMeter;
  /** When the gateway last answered 503 itself because of load (clock ms). */
  private lastShedMs = -Infinity;

  constructor(
    readonly set: UpstreamSet,
    private readonly limits: CoreLimits,
    private readonly clock: Clock,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
  ) {
    this.completions = new RateMeter(clock.nowMs());
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Takes a request to forward (infer or metadata): sheds, or reads its body and admits it. */
  accept(req: IncomingMessage, res: ServerResponse, startMs: number): void {
    // A malformed request is the client's to fix whatever the gateway's state: 400 before any 503.
    const budget = budgetMs(req.headers[TIMEOUT_HEADER], this.limits.requestTimeoutMs);
    if (Number.isNaN(budget)) {
      return this.rejectNow(req, res, startMs, 400, `header ${TIMEOUT_HEADER} must be a positive number of milliseconds`);
    }
    if (this.draining) return this.rejectNow(req, res, startMs, 503, 'the gateway is draining; retry later', 'draining');
    if (!this.set.hasAvailable()) return this.rejectNow(req, res, startMs, 503, this.noReplicaMessage(), 'no_replica');
    if (this.queue.length > 0) {
      // Requests are waiting, so every slot is taken: under overload most requests end here, so
      // decide before reading the body or allocating anything for this one.
      const refused = this.queueRefusal(budget, startMs);
      if (refused !== undefined) return this.rejectNow(req, res, startMs, 503, refused.message, refused.reason);
    }
    const ex = new Exchange(req, res, startMs, startMs + budget);
    this.active++;
    ex.timer = setTimeout(() => this.onDeadline(ex, budget), budget);
    if (req.method === 'GET' || req.method === 'HEAD') {
      // A body on a GET is not forwarded, but it must still arrive, or the request is cut.
      watchBody(req, res, () => this.finishOwn(ex, 408, BODY_STALLED_MESSAGE, true));
      return this.admit(ex);
    }
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
        this.shed(ex, 'no_replica', this.noReplicaMessage());
        continue;
      }
      this.queue.shift();
      ex.queued = false;
      const nowMs = this.clock.nowMs();
      if (!worthDispatching(this.inflight, this.completions.perSec(nowMs), ex.deadlineMs - nowMs)) {
        this.shed(ex, 'expired', `the replicas are saturated: too little of this request's budget is left to serve it; retry later`);
        continue;
      }
      this.dispatch(ex, u);
    }
  }

  private readBody(ex: Exchange): void {
    ex.readingBody = true;
    readForwardedBody(ex.req, ex.res, {
      body: (bytes) => {
        ex.readingBody = false;
        if (ex.done) return;
        ex.body = bytes;
        this.admit(ex);
      },
      refuse: (status, message, close) => this.finishOwn(ex, status, message, close),
    });
  }

  private admit(ex: Exchange): void {
    const u = this.set.pick(ex.exclude);
    if (u !== undefined) return this.dispatch(ex, u);
    if (!this.set.hasAvailable(ex.exclude)) return this.shed(ex, 'no_replica', this.noReplicaMessage());
    if (ex.retried) {
      // A retry was accepted once already: it goes first and does not count against the cap.
      this.queue.unshift(ex);
    } else {
      const nowMs = this.clock.nowMs();
      const refused = this.queueRefusal(ex.deadlineMs - nowMs, nowMs);
      if (refused !== undefined) return this.shed(ex, refused.reason, refused.message);
      this.queue.push(ex);
    }
    if (!ex.watchingClose) {
      // Only queued requests watch for a hang-up: the common, unqueued path adds no listener.
      ex.watchingClose = true;
      ex.res.once('close', () => this.onClientGone(ex));
    }
    ex.queued = true;
  }

  /** Why a request with `remainingMs` of budget may not wait in the queue now, or undefined if it may. */
  private queueRefusal(remainingMs: number, nowMs: number): Refusal | undefined {
    const oldestWaitMs = this.queue.length > 0 ? nowMs - this.queue[0]!.startMs : 0;
    const view = { queued: this.queue.length, inflight: this.inflight, completionsPerSec: this.completions.perSec(nowMs), oldestWaitMs };
    return queueRefusal(view, remainingMs, this.limits.maxQueued);
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
      { path: ex.req.url!, method: ex.req.method as 'GET', headers: upstreamRequestHeaders(ex.req.rawHeaders, budget), body: ex.body },
      attempt,
    );
  }

  attemptSent(a: Attempt): void {
    // Judged from here, not from dispatch: under a flood the gateway itself may write it late.
    a.sentAtMs = this.clock.nowMs();
    a.completedAtSend = a.upstream.completed;
    if (a.abandoned) this.armJudge(a); // its deadline passed before the gateway got to write it
  }

  shouldRetryShed(a: Attempt): boolean {
    return !a.exchange.retried && !a.exchange.done && this.set.hasAvailable(a.upstream);
  }

  attemptDone(a: Attempt): void {
    const ex = this.release(a);
    const u = a.upstream;
    u.completed++;
    this.completions.record(this.clock.nowMs());
    if (a.status >= 500 && a.status !== 503 && a.status !== 504) this.failure(u, `status ${a.status}`);
    else if (a.status !== 503) u.recordSuccess();
    // Abandoned: its client was answered at the deadline; a late answer only shows the replica lives.
    if (a.abandoned) return this.pump();
    if (a.shed) this.retry(ex, u, 'shed');
    else this.respond(ex, a);
    this.pump();
  }

  attemptFailed(a: Attempt, err: Error): void {
    const ex = this.release(a);
    // Aborted by the gateway after it was judged: already counted if it was the replica's fault.
    if (a.aborted) return this.pump();
    const u = a.upstream;
    const reason = (err as { code?: string }).code ?? err.message;
    this.failure(u, reason);
    if (a.abandoned) return this.pump();
    if (!a.headersSeen && !ex.retried && this.set.hasAvailable(u)) this.retry(ex, u, 'connect');
    else if (a.headersSeen) this.finishOwn(ex, 502, `replica ${u.id} broke off its response (${reason})`);
    else this.finishOwn(ex, 502, `replica ${u.id} failed before answering (${reason})`);
    this.pump();
  }

  private release(a: Attempt): Exchange {
    a.upstream.inflight--;
    this.inflight--;
    if (a.judgeTimer !== null) clearTimeout(a.judgeTimer);
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

  /** Counts a failure of `u`; a hang never ejects the last available replica (nothing would be gained). */
  private failure(u: Upstream, reason: string, hang = false): void {
    if (!u.recordFailure(this.clock, this.limits, !hang || this.set.hasAvailable(u))) return;
    this.counters.ejections++;
    this.metrics.ejected();
    this.log.warn('replica ejected', { replica: u.id, url: u.url, reason, ejectForMs: this.limits.ejectForMs });
  }

  private onDeadline(ex: Exchange, budget: number): void {
    ex.timer = null;
    if (ex.done) return;
    if (ex.readingBody) {
      return this.finishOwn(ex, 408, `the request body did not arrive within the deadline of ${budget} ms; the connection is closed`, true);
    }
    if (ex.queued) {
      // Never sent: the replicas were too busy for it, which is shedding, not a timeout.
      const i = this.queue.indexOf(ex);
      if (i >= 0) this.queue.splice(i, 1);
      ex.queued = false;
      return this.shed(ex, 'expired', `no replica was free within the deadline of ${budget} ms: the replicas are saturated; retry later`);
    }
    const a = ex.attempt;
    if (a !== null && !a.ended && !ex.deadlineChecked) {
      // Look again after the event loop's next I/O phase: when the gateway falls behind, the
      // answer may be sitting in its socket already, and it is then sent rather than a 504.
      ex.deadlineChecked = true;
      setImmediate(() => this.onDeadline(ex, budget));
      return;
    }
    if (a !== null && !a.ended) {
      a.abandoned = true;
      // Not yet written (the gateway's own backlog): judged from when it is.
      const sent = a.sentAtMs >= 0;
      if (sent) this.armJudge(a);
      // A replica that answered other requests meanwhile is busy, not failing: that miss is load
      // (503, retry later). Only one that answered nothing at all gets the 504 (and is judged).
      if (!sent || this.overloaded() || a.upstream.completed !== a.completedAtSend) {
        return this.shed(ex, 'expired', `no answer within the deadline of ${budget} ms: the replicas are busy; retry later`);
      }
    }
    this.finishOwn(ex, 504, `no answer within the deadline of ${budget} ms`);
  }

  /** True while the replicas are saturated: requests wait for a slot, every slot is taken, or the gateway shed within the last second. */
  private overloaded(): boolean {
    return this.queue.length > 0 || !this.set.hasFreeSlot() || this.clock.nowMs() - this.lastShedMs < OVERLOAD_MEMORY_MS;
  }

  private armJudge(a: Attempt): void {
    a.judgeTimer = setTimeout(() => this.judge(a), Math.max(0, judgeAtMs(a.sentAtMs, a.forwardedBudgetMs) - this.clock.nowMs()));
  }

  /** An abandoned attempt still unanswered: a failure only if its replica answered nothing at all meanwhile. */
  private judge(a: Attempt): void {
    a.judgeTimer = null;
    // Decide after the event loop's next I/O phase: under a flood the gateway itself can fall
    // behind, and answers already in its sockets must be read before a replica is called hung.
    setImmediate(() => {
      if (a.ended) return;
      if (isHung(a.forwardedBudgetMs, a.completedAtSend, a.upstream.completed)) this.failure(a.upstream, 'no answer', true);
      a.abort();
    });
  }

  private respond(ex: Exchange, a: Attempt): void {
    if (ex.done) return;
    const totalMs = this.clock.nowMs() - ex.startMs;
    writeUpstreamReply(ex, a, totalMs);
    this.finish(ex, a.status, totalMs);
  }

  /** Answers 503 + Retry-After because of load or the replica set, counted by reason. */
  private shed(ex: Exchange, reason: ShedReason, message: string): void {
    if (ex.done) return;
    this.lastShedMs = this.clock.nowMs();
    this.metrics.shed(reason);
    this.finishOwn(ex, 503, message);
  }

  /** Answers an accepted request with the gateway's own error; `close` ends the connection after it. */
  private finishOwn(ex: Exchange, status: number, message: string, close = false): void {
    if (ex.done) return;
    if (close && !ex.res.headersSent) ex.res.setHeader('connection', 'close');
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
  private rejectNow(req: IncomingMessage, res: ServerResponse, startMs: number, status: number, message: string, shed?: ShedReason): void {
    guardUnreadBody(req, res);
    if (shed !== undefined) {
      this.lastShedMs = startMs;
      this.metrics.shed(shed);
    }
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
