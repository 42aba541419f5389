// The gateway's request path (gateway, data plane): admission, the wait queue, shedding and deadlines.
// Overload is answered 503 + Retry-After before it can time out; only a replica's own faults count
// towards ejecting it. attempts.ts dispatches and ends attempts; the Responder writes the answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../common/clock.js';
import { BODY_STALLED_MESSAGE, watchBody } from '../common/http-slow-clients.js';
import type { Logger } from '../common/log.js';
import type { GatewaySettings } from '../common/settings/table-gateway.js';
import { queueRefusal, RateMeter, worthDispatching, type Refusal } from './admission.js';
import { ReadPause } from './read-pause.js';
import { readHead } from './request-class.js';
import { ServiceTime } from './service-time.js';
import { readExchangeBody } from './body.js';
import { consultCache } from './cache/consult.js';
import type { ResponseCache } from './cache/response-cache.js';
import { onDeadline } from './deadline-watch.js';
import {
  attemptDone,
  attemptFailed,
  attemptSent,
  dispatch,
  shouldRetryShed,
  tryTimedOut,
  type AttemptHost,
} from './attempts.js';
import { Exchange, type Attempt } from './exchange.js';
import { shedAtHeaders } from './header-shed.js';
import type { GatewayMetrics } from './metrics.js';
import type { OtherServers } from './migration.js';
import { Responder } from './responder.js';
import type { WatchedTry } from './per-try/try-watch.js';
import type { Upstream } from './upstream.js';
import type { UpstreamSet } from './upstream-set.js';
import { WaitQueue, type QueueKey } from './wait-queue.js';

export type { CoreCounters } from './responder.js';

/** Status counted (never sent) for a request whose client went away while it was queued. */
export const CLIENT_CLOSED = 499;

/** The settings the core enforces (all validated by the caller), and the cluster token replicas require. */
export type CoreLimits = Pick<
  GatewaySettings,
  'maxQueuedRequests' | 'requestTimeoutMs' | 'forwardMarginMs' | 'ejectAfterFailures' | 'ejectForMs' | 'tryTimeoutMinMs'
> & { replicaToken?: string };

export class GatewayCore implements AttemptHost {
  /** Attempts at replicas not yet ended. */
  inflight = 0;
  draining = false;
  readonly answers: Responder;
  private readonly queue = new WaitQueue();
  /** Replica answers per second, for admission. */
  readonly completions: RateMeter;
  /** The no-wait time of an infer request at a replica, for the 504-before-sending rule. */
  readonly serviceTime = new ServiceTime();
  /** External and fallback servers (gateway.external, gateway.fallback), when configured. */
  others: OtherServers | undefined = undefined;
  /** Connections not read while the gateway is over budget (see shedAtHeaders). */
  readonly readPause: ReadPause;

  constructor(
    readonly set: UpstreamSet,
    readonly limits: CoreLimits,
    readonly clock: Clock,
    readonly metrics: GatewayMetrics,
    private readonly log: Logger,
    /** The response cache, when enabled. */
    private readonly cache?: ResponseCache,
  ) {
    this.completions = new RateMeter(clock.nowMs());
    this.answers = new Responder(clock, metrics, cache);
    this.readPause = new ReadPause(clock);
  }

  get queued(): number {
    return this.queue.length;
  }
  get active(): number {
    return this.answers.active;
  }
  get counters(): Responder['counters'] {
    return this.answers.counters;
  }

  /** Takes a request to forward (infer or metadata): sheds, or reads its body and admits it. */
  accept(req: IncomingMessage, res: ServerResponse, startMs: number, infer: boolean): void {
    const a = this.answers;
    const head = readHead(req.headers, this.limits.requestTimeoutMs, infer ? this.serviceTime.floorMs() : 0);
    if ('status' in head) return a.rejectNow(req, res, startMs, head.status, head.message);
    const { budgetMs: budget, priority } = head;
    if (this.draining) return a.rejectNow(req, res, startMs, 503, 'the gateway is draining; retry later', 'draining');
    if (!this.set.hasAvailable() && !this.others?.canServe())
      return a.rejectNow(req, res, startMs, 503, this.set.noReplicaMessage(), 'no_replica');
    if (this.queue.length > 0 && this.others === undefined) {
      // Requests are waiting, so every slot is taken: under overload most requests end here, so
      // decide before reading the body or allocating anything for this one.
      const key = { priority, retried: false, deadlineMs: startMs + budget, seq: Infinity };
      const refused = this.queueRefusal(key, budget, startMs);
      if (refused !== undefined && (refused.reason !== 'queue_full' || !this.queue.evictableFor(key)))
        return shedAtHeaders(this.answers, this.readPause, req, res, startMs, refused);
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

  /** Resolves once no accepted request is left (after drain, or at once). */
  whenIdle(): Promise<void> {
    return this.answers.whenIdle();
  }

  /** Moves waiting requests to replicas with free slots; call after anything frees a slot. */
  pump(): void {
    for (let ex = this.queue.peek(); ex !== undefined; ex = this.queue.peek()) {
      const u = this.set.pick(ex.exclude, ex.excludeVersion);
      if (u === undefined && this.set.hasAvailable(ex.exclude)) return; // all busy: wait for a slot
      this.queue.shift();
      const nowMs = this.clock.nowMs();
      if (u === undefined) this.shedOr(ex, 'no_replica', this.set.noReplicaMessage());
      else if (!worthDispatching(this.inflight, this.completions.perSec(nowMs), ex.deadlineMs - nowMs)) {
        this.shedOr(
          ex,
          'expired',
          `the replicas are saturated: too little of this request's budget is left to ` + `serve it; retry later`,
        );
      } else dispatch(this, ex, u);
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

  admit(ex: Exchange): void {
    const u = this.others?.route(ex) ?? this.set.pick(ex.exclude, ex.excludeVersion);
    if (u !== undefined) return dispatch(this, ex, u);
    if (!this.set.hasAvailable(ex.exclude)) return this.shedOr(ex, 'no_replica', this.set.noReplicaMessage());
    if (!ex.retried && !ex.timeoutRetried) {
      const nowMs = this.clock.nowMs();
      const refused = this.queueRefusal(ex, ex.deadlineMs - nowMs, nowMs);
      const victim = refused?.reason === 'queue_full' ? this.queue.evictableFor(ex) : undefined;
      if (refused !== undefined && victim === undefined) return this.shedOr(ex, refused.reason, refused.message);
      if (victim !== undefined && this.queue.remove(victim))
        this.answers.shed(
          victim,
          'queue_full',
          'shed from the gateway queue for a request of higher priority; retry later',
        );
    }
    // A retry was accepted once already: it goes first and does not count against the cap.
    this.queue.add(ex, (gone) => this.onClientGone(gone));
  }

  /** Why a request with `remainingMs` of budget may not wait in the queue now, or undefined if it may. */
  private queueRefusal(key: QueueKey, remainingMs: number, nowMs: number): Refusal | undefined {
    const view = {
      queued: this.queue.aheadOf(key),
      queuedTotal: this.queue.length,
      inflight: this.inflight,
      completionsPerSec: this.completions.perSec(nowMs),
      oldestWaitMs: this.queue.oldestWaitMs(nowMs),
    };
    return queueRefusal(view, remainingMs, this.limits.maxQueuedRequests);
  }

  /** Where the gateway would shed `ex` (503), the fallback (or an external server) answers it instead, if one can. */
  shedOr(ex: Exchange, reason: Refusal['reason'] | 'no_replica' | 'expired', message: string): void {
    const o = this.others?.takeOver(ex);
    if (o !== undefined) dispatch(this, ex, o);
    else this.answers.shed(ex, reason, message);
  }

  /** The client hung up while its request waited: free the queue slot (status 499, as nginx logs it). */
  private onClientGone(ex: Exchange): void {
    if (ex.done || !this.queue.remove(ex)) return;
    this.answers.finish(ex, CLIENT_CLOSED, this.clock.nowMs() - ex.startMs);
  }

  // The AttemptSink: each calls the module function of the same name in attempts.ts.
  attemptSent(a: Attempt): void {
    attemptSent(this, a);
  }
  shouldRetryShed(a: Attempt): boolean {
    return shouldRetryShed(this, a);
  }
  attemptDone(a: Attempt): void {
    attemptDone(this, a);
  }
  attemptFailed(a: Attempt, err: Error): void {
    attemptFailed(this, a, err);
  }
  tryTimedOut(t: WatchedTry): void {
    tryTimedOut(this, t as Attempt); // the only tries watched are Attempts (attempts.ts attemptSent)
  }
  afterIo(fn: () => void): void {
    setImmediate(fn);
  }

  /** Counts a failure of `u`; a hang never ejects the last available replica (nothing would be gained). */
  failure(u: Upstream, reason: string, hang = false): void {
    if (!u.recordFailure(this.clock, this.limits, !hang || this.set.hasAvailable(u))) return;
    this.counters.ejections++;
    this.metrics.ejected();
    this.log.warn('replica ejected', { replica: u.id, url: u.url, reason, ejectForMs: this.limits.ejectForMs });
  }

  removeQueued(ex: Exchange): boolean {
    return this.queue.remove(ex);
  }

  /**
   * True while the replicas are saturated: requests wait for a slot, every slot is taken, the gateway
   * shed within the last second, or it holds connections unread (it sheds less often then, but is no
   * less over budget).
   */
  overloaded(): boolean {
    return (
      this.queue.length > 0 ||
      !this.set.hasFreeSlot() ||
      this.answers.shedLately(this.clock.nowMs()) ||
      this.readPause.size > 0
    );
  }
}
