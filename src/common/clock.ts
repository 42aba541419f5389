// Time and timers injected into the pure cores and their shells (batcher, autoscaler, schedule,
// supervisor, gateway deadlines), so tests drive them exactly, without sleeping (common, every plane).

/** A pending timer; pass it to `clearTimer` (a Node timer, or a number for the manual clock). */
export type TimerHandle = NodeJS.Timeout | number;

/** A monotonic clock in milliseconds (fractions allowed) with timers on the same time line. */
export interface Clock {
  /** Milliseconds since an arbitrary origin; never goes backwards. */
  nowMs(): number;
  /**
   * Calls `fn` once, `delayMs` from now. `unref` timers do not keep the process alive (background
   * loops such as probes and autoscaling).
   */
  setTimer(fn: () => void, delayMs: number, opts?: { unref?: boolean }): TimerHandle;
  /** Cancels a timer; undefined and already fired timers are ignored. */
  clearTimer(handle: TimerHandle | undefined): void;
}

/** The real monotonic clock (performance.now) and Node's timers. */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  setTimer(fn, delayMs, opts) {
    const t = setTimeout(fn, Math.max(0, delayMs));
    if (opts?.unref) t.unref();
    return t;
  },
  clearTimer(handle) {
    if (handle !== undefined) clearTimeout(handle as NodeJS.Timeout);
  },
};

/**
 * Resolves after `delayMs` on `clock`, or at once when `signal` aborts. For shells that must wait
 * a bounded time for something they cannot be told about (never to wait for an event they can).
 */
export function delay(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clock.clearTimer(timer);
      resolve();
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `fn` every `periodMs` (the next call is scheduled when one returns or, for an async `fn`,
 * settles, so slow calls never overlap). Returns a function that stops it.
 */
export function every(
  clock: Clock,
  periodMs: number,
  fn: () => void | Promise<void>,
  opts?: { unref?: boolean },
): () => void {
  let stopped = false;
  let timer: TimerHandle | undefined;
  const schedule = () => {
    if (!stopped) timer = clock.setTimer(tick, periodMs, opts);
  };
  const tick = () => callThen(fn, schedule);
  schedule();
  return () => {
    stopped = true;
    clock.clearTimer(timer);
  };
}

/** Calls `fn`, then `next` once it settled (at once when it is not async); a throw is not ours to report. */
function callThen(fn: () => void | Promise<void>, next: () => void): void {
  let out: void | Promise<void>;
  try {
    out = fn();
  } catch {
    out = undefined;
  }
  if (out instanceof Promise) out.then(next, next);
  else next();
}

/**
 * Calls `fn(dueMs)` at due times `periodMs` apart from now (start + periodMs, + 2·periodMs, ...),
 * whatever each call takes: the next due time is the previous one plus the period, not the end of
 * the call plus the period, so a call that takes time does not stretch the period. Calls never
 * overlap: due times that pass while a call (or an async `fn`) runs are skipped, and the next call
 * is at the first due time after it settles. Returns a function that stops it.
 */
export function everyDue(
  clock: Clock,
  periodMs: number,
  fn: (dueMs: number) => void | Promise<void>,
  opts?: { unref?: boolean },
): () => void {
  if (!(periodMs > 0)) throw new RangeError('everyDue needs a period > 0');
  let stopped = false;
  let timer: TimerHandle | undefined;
  let dueMs = clock.nowMs() + periodMs;
  const schedule = () => {
    if (stopped) return;
    const now = clock.nowMs();
    if (dueMs < now) dueMs += Math.ceil((now - dueMs) / periodMs) * periodMs;
    timer = clock.setTimer(tick, dueMs - now, opts);
  };
  const tick = () => {
    const at = dueMs;
    dueMs += periodMs;
    callThen(() => fn(at), schedule);
  };
  schedule();
  return () => {
    stopped = true;
    clock.clearTimer(timer);
  };
}

interface ManualTimer {
  id: number;
  atMs: number;
  fn: () => void;
}

/** A clock that moves only when told to; its timers fire, in due order, as it advances. */
export class ManualClock implements Clock {
  private t: number;
  private timers: ManualTimer[] = [];
  private nextId = 1;

  constructor(startMs = 0) {
    this.t = startMs;
  }

  nowMs(): number {
    return this.t;
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const timer = { id: this.nextId++, atMs: this.t + Math.max(0, delayMs), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by `ms` (>= 0), firing every timer due on the way at its own time (a timer
   * set by a firing timer fires too if it falls within the advance).
   */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('ManualClock cannot go backwards');
    this.runUntil(this.t + ms);
  }

  /** Moves time to `ms` (not before now), firing due timers as `advance` does. */
  set(ms: number): void {
    if (ms < this.t) throw new RangeError('ManualClock cannot go backwards');
    this.runUntil(ms);
  }

  private runUntil(endMs: number): void {
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.timers)
        if (t.atMs <= endMs && (next === undefined || t.atMs < next.atMs || (t.atMs === next.atMs && t.id < next.id)))
          next = t;
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.t = Math.max(this.t, next.atMs);
      next.fn();
    }
    this.t = endMs;
  }
}
