// The gateway's wait queue (gateway, data plane): requests that found every replica slot taken wait
// here by priority (x-serve-priority, high first) and, within a priority, earliest deadline first;
// a retry goes before the rest of its priority. A client that hangs up frees its place at once.
import type { Exchange } from './exchange.js';

/** What the order looks at. */
export type QueueKey = Pick<Exchange, 'priority' | 'retried' | 'deadlineMs' | 'seq'>;

/** True when `a` leaves the queue before `b`. */
export function goesBefore(a: QueueKey, b: QueueKey): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  // A retry was accepted once already and has waited for a replica: it goes first in its class.
  if (a.retried !== b.retried) return a.retried;
  if (a.deadlineMs !== b.deadlineMs) return a.deadlineMs < b.deadlineMs;
  return a.seq < b.seq;
}

export class WaitQueue {
  /** In leaving order: index 0 goes next. */
  private readonly items: Exchange[] = [];

  get length(): number {
    return this.items.length;
  }

  /** The request that goes next, if any. */
  peek(): Exchange | undefined {
    return this.items[0];
  }

  /** The request a full queue sheds to take `key`: the one that would leave last, when of lower priority. */
  evictableFor(key: QueueKey): Exchange | undefined {
    const last = this.items[this.items.length - 1];
    return last !== undefined && last.priority < key.priority ? last : undefined;
  }

  /** How long the request that goes next has waited (0 when empty): a floor on the wait now. */
  oldestWaitMs(nowMs: number): number {
    const head = this.items[0];
    return head === undefined ? 0 : nowMs - head.startMs;
  }

  /** How many queued requests would leave before `ex` if it joined now. */
  aheadOf(ex: QueueKey): number {
    return this.positionFor(ex);
  }

  /** Queues `ex` in its place (see goesBefore). */
  add(ex: Exchange, onClientGone: (ex: Exchange) => void): void {
    const i = this.positionFor(ex);
    if (i === this.items.length) this.items.push(ex);
    else this.items.splice(i, 0, ex);
    if (!ex.watchingClose) {
      // Only queued requests watch for a hang-up: the common, unqueued path adds no listener.
      ex.watchingClose = true;
      ex.res.once('close', () => onClientGone(ex));
    }
    ex.queued = true;
  }

  /** Takes the head off the queue. */
  shift(): Exchange | undefined {
    const ex = this.items.shift();
    if (ex) ex.queued = false;
    return ex;
  }

  /** Takes `ex` out wherever it is; false if it was not queued. */
  remove(ex: Exchange): boolean {
    if (!ex.queued) return false;
    const i = this.items.indexOf(ex);
    if (i >= 0) this.items.splice(i, 1);
    ex.queued = false;
    return true;
  }

  /** Index at which `ex` belongs. Most requests share a priority and budget: scanning from the back finds it at once. */
  private positionFor(ex: QueueKey): number {
    let i = this.items.length;
    while (i > 0 && goesBefore(ex, this.items[i - 1]!)) i--;
    return i;
  }
}
