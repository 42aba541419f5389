// The tries in flight at one replica and the one timer that gives up those its silence outlasted
// (gateway, data plane; the rule is try-timeout.ts). One timer per replica, not one per request: a
// try joins an intrusive list when it is written and leaves it when it ends, which allocates nothing;
// the timer fires at most once per try timeout while the replica has tries in flight.
import type { Clock, TimerHandle } from '../../common/clock.js';
import { TryLatency, tryDueMs, tryTimeoutMs } from './try-timeout.js';

/** A try as the watch sees it (the gateway's Attempt). */
export interface WatchedTry {
  /** Clock time it was written to the replica (ms). */
  readonly sentAtMs: number;
  watchPrev: WatchedTry | null;
  watchNext: WatchedTry | null;
  /** In the list now. */
  watched: boolean;
}

/** What the watch needs of the gateway core. */
export interface TryWatchHost {
  readonly clock: Clock;
  readonly limits: { readonly tryTimeoutMinMs: number };
  /** `t` outlasted its replica's silence: it has left the watch; retry it elsewhere (attempts.ts). */
  tryTimedOut(t: WatchedTry): void;
  /** True while the replicas are saturated (gateway/core.ts): a silence then may be the gateway's own backlog. */
  overloaded(): boolean;
  /**
   * Calls `fn` after the event loop's next I/O phase (setImmediate): answers already in the
   * replica's sockets are read before it is called silent. Tests call `fn` at once.
   */
  afterIo(fn: () => void): void;
}

/** One replica's tries in flight, oldest written first, and what its try timeout is derived from. */
export class TryWatch {
  /** Durations of its recent answered tries. */
  readonly latency = new TryLatency();
  /** Clock time of its last answer to any request (ms). */
  lastAnswerMs = -Infinity;
  private head: WatchedTry | null = null;
  private tail: WatchedTry | null = null;
  private timer: TimerHandle | undefined = undefined;
  private fire: (() => void) | undefined = undefined;
  private checkNow: (() => void) | undefined = undefined;
  private checking = false;
  /** The gateway core, from the first try on (one per process). */
  private host: TryWatchHost | undefined = undefined;

  /** Watches `t`, just written to the replica (sentAtMs set): tries join in the order they are written. */
  add(host: TryWatchHost, t: WatchedTry): void {
    this.host ??= host;
    t.watched = true;
    t.watchNext = null;
    t.watchPrev = this.tail;
    if (this.tail !== null) this.tail.watchNext = t;
    else this.head = t;
    this.tail = t;
    if (this.timer === undefined && !this.checking) this.arm(host, host.clock.nowMs());
  }

  /** `t` ended (or was given up): it leaves the watch. Idempotent. */
  remove(t: WatchedTry): void {
    if (!t.watched) return;
    t.watched = false;
    if (t.watchPrev !== null) t.watchPrev.watchNext = t.watchNext;
    else this.head = t.watchNext;
    if (t.watchNext !== null) t.watchNext.watchPrev = t.watchPrev;
    else this.tail = t.watchPrev;
    t.watchPrev = t.watchNext = null;
  }

  /** The replica answered (any status) at `nowMs` a try written at `sentAtMs` (-1: never written). */
  answered(nowMs: number, sentAtMs: number): void {
    this.lastAnswerMs = nowMs;
    if (sentAtMs >= 0) this.latency.record(nowMs - sentAtMs);
    // Tries written before it had enough answers for a try timeout are watched from the answer that made it.
    if (this.timer === undefined && this.head !== null && !this.checking) this.arm(this.host!, nowMs);
  }

  /** Arms the timer for the oldest try, unless the replica has no try timeout yet or nothing is in flight. */
  private arm(host: TryWatchHost, nowMs: number): void {
    if (this.head === null) return; // (host is set whenever head is)
    const timeoutMs = tryTimeoutMs(this.latency, host.limits.tryTimeoutMinMs);
    if (timeoutMs === Infinity) return;
    this.checkNow ??= () => this.check(host);
    this.fire ??= () => host.afterIo(this.checkNow!);
    const dueMs = tryDueMs(this.head.sentAtMs, this.lastAnswerMs, timeoutMs);
    this.timer = host.clock.setTimer(this.fire, Math.max(0, dueMs - nowMs), { unref: true });
  }

  /**
   * Gives up every try whose time has come (oldest first: their due times are in list order), then
   * re-arms. Nothing is given up while the gateway is overloaded: it may have fallen behind reading
   * the answers, and resending would add load; the request's deadline rules apply then.
   */
  private check(host: TryWatchHost): void {
    this.timer = undefined;
    const timeoutMs = tryTimeoutMs(this.latency, host.limits.tryTimeoutMinMs);
    const nowMs = host.clock.nowMs();
    if (host.overloaded()) {
      if (this.head !== null) this.timer = host.clock.setTimer(this.fire!, timeoutMs, { unref: true });
      return;
    }
    this.checking = true;
    try {
      for (let t = this.head; t !== null; t = this.head) {
        if (tryDueMs(t.sentAtMs, this.lastAnswerMs, timeoutMs) > nowMs) break;
        this.remove(t);
        host.tryTimedOut(t);
      }
    } finally {
      this.checking = false;
    }
    if (this.timer === undefined) this.arm(host, nowMs);
  }
}
