// The gateway's request path (gateway, data plane): admission, the wait queue, dispatch, one retry
// elsewhere, passive ejection and deadlines. Overload is answered 503 + Retry-After before it can time
// out; only a replica's own faults count towards ejecting it. The Responder writes the answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../common/clock.js';
import { BODY_STALLED_MESSAGE, hasBody, watchBody } from '../common/http-slow-clients.js';
import type { Logger } from '../common/log.js';
import type { GatewaySettings } from '../common/settings-table-gateway.js';
import { queueRefusal, RateMeter, worthDispatching, type Refusal } from './admission.js';
import { ReadPause } from './read-pause.js';
import { readHead } from './request-class.js';
import { ServiceTime } from './service-time.js';
import { readExchangeBody } from './body.js';
import { consultCache } from './cache/consult.js';
import type { ResponseCache } from './cache/response-cache.js';
import { forwardBudgetMs } from './deadline.js';
import { armJudge, onDeadline, type DeadlineHost } from './deadline-watch.js';
import { Attempt, Exchange, type AttemptSink } from './exchange.js';
import { upstreamRequestHeaders } from './headers.js';
import type { GatewayMetrics } from './metrics.js';
import type { OtherServers } from './migration.js';
import { Responder } from './responder.js';
import type { Upstream } from './upstream.js';
import type { UpstreamSet } from './upstream-set.js';
import { WaitQueue, type QueueKey } from './wait-queue.js';

export type { CoreCounters } from './responder.js';

/** A body up to this size (bytes) arrives with its headers, in one socket read (Node reads 64 KiB at a time). */
const SMALL_BODY_BYTES = 64 * 1024;

/** Status counted (never sent) for a request whose client went away while it was queued. */
export const CLIENT_CLOSED = 499;

/** The settings the core enforces (all validated by the caller), and the cluster token replicas require. */
export type CoreLimits = Pick<GatewaySettings, 'maxQueuedRequests' | 'requestTimeoutMs' | 'forwardMarginMs' | 'ejectAfterFailures' | 'ejectForMs'> & { replicaToken?: string };

export class GatewayCore implements AttemptSink, DeadlineHost {
  /** Attempts at replicas not yet ended. */
  inflight = 0;
  draining = false;
  readonly answers: Responder;
  private readonly queue = new WaitQueue();
  /** Replica answers per second, for admission. */
  private readonly completions: RateMeter;
  /** The no-wait time of an infer request at a replica, for the 504-before-sending rule. */
  readonly serviceTime = new ServiceTime();
  /** External and fallback servers (gateway.external, gateway.fallback), when configured. */
  others: OtherServers | undefined = undefined;
  /** Connections not read while the gateway is over budget (see shedAtHeaders). */
  readonly readPause: ReadPause;

  constructor(
    readonly set: UpstreamSet,
    private readonly limits: CoreLimits,
    readonly clock: Clock,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
    /** The response cache, when enabled. */
    private readonly cache?: ResponseCache,
  ) {
    this.completions = new RateMeter(clock.nowMs());
    this.answers = new Responder(clock, metrics, cache);
    this.readPause = new ReadPause(clock);
  }

  get queued(): number { return this.queue.length; }
  get active(): number { return this.answers.active; }
  get counters(): Responder['counters'] { return this.answers.counters; }

  /** Takes a request to forward (infer or metadata): sheds, or reads its body and admits it. */
  accept(req: IncomingMessage, res: ServerResponse, startMs: number, infer: boolean): void {
    const a = this.answers;
    const head = readHead(req.headers, this.limits.requestTimeoutMs, infer ? this.serviceTime.floorMs() : 0);
    if ('status' in head) return a.rejectNow(req, res, startMs, head.status, head.message);
    const { budgetMs: budget, priority } = head;
    if (this.draining) return a.rejectNow(req, res, startMs, 503, 'the gateway is draining; retry later', 'draining');
    if (!this.set.hasAvailable() && !this.others?.canServe()) return a.rejectNow(req, res, startMs, 503, this.set.noReplicaMessage(), 'no_replica');
    if (this.queue.length > 0 && this.others === undefined) {
      // Requests are waiting, so every slot is taken: under overload most requests end here, so
      // decide before reading the body or allocating anything for this one.
      const key = { priority, retried: false, deadlineMs: startMs + budget, seq: Infinity };
      const refused = this.queueRefusal(key, budget, startMs);
      if (refused !== undefined && (refused.reason !== 'queue_full' || !this.queue.evictableFor(key))) return this.shedAtHeaders(req, res, startMs, refused);
    }
    const ex = new Exchange(req, res, startMs, startMs + budget);
    ex.priority = priority;
    ex.infer = infer;
    a.active++;
    ex.timer = this.clock.setTimer(() => onDeadline(this, ex, budget), budget);
    if (req.method === 'GET' || req.method === 'HEAD') {
      // A body on a GET is not forwarded, but it must still arrive, or the request is cut.
      watchBody(req, res, () => a.finishOwn(ex, 408, BODY_STALLED_MESSAGE, true));
      return this.admit(ex);
    }
    this.readBody(ex);
  }

  /**
   * Sheds a request from its headers alone, the cheapest place (Envoy's overload manager does the
   * same). A body still to come that is chunked or larger than one socket read is never read
   * (`Connection: close` ends the connection after the 503). A small body came with its headers in
   * the same read: that connection stays open but is not read again until a replica slot frees
   * (pump) or Retry-After has passed, so the flood costs no more parsing and refusing.
   */
  private shedAtHeaders(req: IncomingMessage, res: ServerResponse, startMs: number, refused: Refusal): void {
    const declared = Number(req.headers['content-length'] ?? 0);
    const bodyToCome = hasBody(req) && !req.complete && !(declared <= SMALL_BODY_BYTES);
    if (bodyToCome) res.setHeader('connection', 'close');
    this.answers.rejectNow(req, res, startMs, 503, refused.message, refused.reason);
    if (bodyToCome) return;
    // Paused once the request has ended: Node resumes the socket to drop an unfinished body.
    if (req.complete || !hasBody(req)) this.readPause.pause(req.socket);
    else req.once('end', () => this.readPause.pause(req.socket));
  }

  /** Resolves once no accepted request is left (after drain, or at once). */
  whenIdle(): Promise<void> { return this.answers.whenIdle(); }

  /** Moves waiting requests to replicas with free slots; call after anything frees a slot. */
  pump(): void {
    for (let ex = this.queue.peek(); ex !== undefined; ex = this.queue.peek()) {
      const u = this.set.pick(ex.exclude, ex.excludeVersion);
      if (u === undefined && this.set.hasAvailable(ex.exclude)) return; // all busy: wait for a slot
      this.queue.shift();
      const nowMs = this.clock.nowMs();
      if (u === undefined) this.shedOr(ex, 'no_replica', this.set.noReplicaMessage());
      else if (!worthDispatching(this.inflight, this.completions.perSec(nowMs), ex.deadlineMs - nowMs)) {
        this.shedOr(ex, 'expired', `the replicas are saturated: too little of this request's budget is left to serve it; retry later`);
      } else this.dispatch(ex, u);
    }
    // Nobody waits for a slot: read one paused connection again (one per freed slot keeps the
    // requests read in step with the requests served).
    if (this.readPause.size > 0 && this.set.hasFreeSlot()) this.readPause.resume(1);
  }

  private readBody(ex: Exchange): void {
    readExchangeBody(ex, this.answers, () => {
      if (this.cache === undefined || !ex.infer) this.admit(ex);
      else consultCache(this.cache, ex, this.answers, () => this.admit(ex));
    });
  }

  private admit(ex: Exchange): void {
    const u = this.others?.route(ex) ?? this.set.pick(ex.exclude, ex.excludeVersion);
    if (u !== undefined) return this.dispatch(ex, u);
    if (!this.set.hasAvailable(ex.exclude)) return this.shedOr(ex, 'no_replica', this.set.noReplicaMessage());
    if (!ex.retried) {
      const nowMs = this.clock.nowMs();
      const refused = this.queueRefusal(ex, ex.deadlineMs - nowMs, nowMs);
      const victim = refused?.reason === 'queue_full' ? this.queue.evictableFor(ex) : undefined;
      if (refused !== undefined && victim === undefined) return this.shedOr(ex, refused.reason, refused.message);
      if (victim !== undefined && this.queue.remove(victim)) this.answers.shed(victim, 'queue_full', 'shed from the gateway queue for a request of higher priority; retry later');
    }
    // A retry was accepted once already: it goes first and does not count against the cap.
    this.queue.add(ex, (gone) => this.onClientGone(gone));
  }

  /** Why a request with `remainingMs` of budget may not wait in the queue now, or undefined if it may. */
  private queueRefusal(key: QueueKey, remainingMs: number, nowMs: number): Refusal | undefined {
    const view = {
      queued: this.queue.aheadOf(key), queuedTotal: this.queue.length, inflight: this.inflight,
      completionsPerSec: this.completions.perSec(nowMs), oldestWaitMs: this.queue.oldestWaitMs(nowMs),
    };
    return queueRefusal(view, remainingMs, this.limits.maxQueuedRequests);
  }

  /** Where the gateway would shed `ex` (503), the fallback (or an external server) answers it instead, if one can. */
  private shedOr(ex: Exchange, reason: Refusal['reason'] | 'no_replica' | 'expired', message: string): void {
    const o = this.others?.takeOver(ex);
    if (o !== undefined) this.dispatch(ex, o);
    else this.answers.shed(ex, reason, message);
  }

  /** The client hung up while its request waited: free the queue slot (status 499, as nginx logs it). */
  private onClientGone(ex: Exchange): void {
    if (ex.done || !this.queue.remove(ex)) return;
    this.answers.finish(ex, CLIENT_CLOSED, this.clock.nowMs() - ex.startMs);
  }

  private dispatch(ex: Exchange, u: Upstream): void {
    const nowMs = this.clock.nowMs();
    u.inflight++;
    if (u.kind === 'replica') this.inflight++;
    const attempt = new Attempt(ex, u, nowMs, this);
    ex.attempt = attempt;
    ex.version = u.version;
    const budget = forwardBudgetMs(ex.deadlineMs - nowMs, this.limits.forwardMarginMs);
    attempt.forwardedBudgetMs = budget;
    u.pool.dispatch(
      { path: ex.req.url!, method: ex.req.method as 'GET', headers: u.kind === 'replica' ? upstreamRequestHeaders(ex.req.rawHeaders, budget, this.limits.replicaToken, u.inflight) : upstreamRequestHeaders(ex.req.rawHeaders, budget), body: ex.body },
      attempt,
    );
  }

  attemptSent(a: Attempt): void {
    // Judged from here, not from dispatch: under a flood the gateway itself may write it late.
    a.sentAtMs = this.clock.nowMs();
    a.completedAtSend = a.upstream.completed;
    if (a.abandoned) armJudge(this, a); // its deadline passed before the gateway got to write it
  }

  shouldRetryShed(a: Attempt): boolean {
    const ex = a.exchange;
    // A replica's own 5xx (a rollout's bad version): retried once on a replica of the other version.
    if (a.status !== 503 && a.upstream.kind === 'replica') return !ex.done && !ex.retried && this.set.otherVersionAvailable(a.upstream);
    return !ex.done && ((!ex.retried && this.set.hasAvailable(a.upstream)) || this.others?.canTakeOver(a.upstream) === true);
  }

  attemptDone(a: Attempt): void {
    const ex = this.release(a);
    const u = a.upstream;
    u.completed++;
    const nowMs = this.clock.nowMs();
    if (u.kind === 'replica') this.completions.record(nowMs);
    if (a.status === 200 && a.exchange.infer) this.serviceTime.record(a.reportedInferMs());
    if (a.status >= 500 && a.status !== 503 && a.status !== 504) this.failure(u, `status ${a.status}`);
    else if (a.status !== 503) u.recordSuccess();
    // Abandoned: its client was answered at the deadline; a late answer only shows the replica lives.
    if (a.abandoned) return this.pump();
    if (a.shed) this.retry(ex, u, a.status === 503 || u.kind !== 'replica' ? 'shed' : 'version');
    else this.answers.respond(ex, a);
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
    if (!a.headersSeen && ((!ex.retried && this.set.hasAvailable(u)) || this.others?.canTakeOver(u))) this.retry(ex, u, 'connect');
    else this.answers.finishOwn(ex, 502, `replica ${u.id} ${a.headersSeen ? 'broke off its response' : 'failed before answering'} (${reason})`);
    this.pump();
  }

  private release(a: Attempt): Exchange {
    a.upstream.inflight--;
    if (a.upstream.kind === 'replica') this.inflight--;
    this.clock.clearTimer(a.judgeTimer ?? undefined);
    const ex = a.exchange;
    ex.upstreamMs += this.clock.nowMs() - a.startMs;
    if (ex.attempt === a) ex.attempt = null;
    return ex;
  }

  private retry(ex: Exchange, from: Upstream, reason: 'connect' | 'shed' | 'version'): void {
    if (ex.done) return;
    // The judge of a rollout still sees the error: it counts for the version that made it.
    if (reason === 'version') this.metrics.observeVersion((ex.excludeVersion = from.version)!, 500, (this.clock.nowMs() - ex.startMs) / 1000);
    const again = ex.retried; // a second retry only ever goes to the fallback
    ex.retried = true;
    ex.exclude = from;
    this.counters.retries++;
    this.metrics.retried(reason);
    if (again) this.shedOr(ex, 'no_replica', this.set.noReplicaMessage());
    else this.admit(ex);
  }

  /** Counts a failure of `u`; a hang never ejects the last available replica (nothing would be gained). */
  failure(u: Upstream, reason: string, hang = false): void {
    if (!u.recordFailure(this.clock, this.limits, !hang || this.set.hasAvailable(u))) return;
    this.counters.ejections++;
    this.metrics.ejected();
    this.log.warn('replica ejected', { replica: u.id, url: u.url, reason, ejectForMs: this.limits.ejectForMs });
  }

  removeQueued(ex: Exchange): boolean { return this.queue.remove(ex); }

  /**
   * True while the replicas are saturated: requests wait for a slot, every slot is taken, the gateway
   * shed within the last second, or it holds connections unread (it sheds less often then, but is no
   * less over budget).
   */
  overloaded(): boolean {
    return this.queue.length > 0 || !this.set.hasFreeSlot() || this.answers.shedLately(this.clock.nowMs()) || this.readPause.size > 0;
  }
}
