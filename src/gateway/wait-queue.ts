// The gateway's wait queue (gateway, data plane): requests that found every replica slot taken wait
// here in arrival order, retries first; a client that hangs up frees its place at once.
import type { Exchange } from './exchange.js';

export class WaitQueue {
  private readonly items: Exchange[] = [];

  get length(): number {
    return this.items.length;
  }

  /** The request that goes next, if any. */
  peek(): Exchange | undefined {
    return this.items[0];
  }

  /** How long the request at the head has waited (0 when empty). */
  oldestWaitMs(nowMs: number): number {
    const head = this.items[0];
    return head === undefined ? 0 : nowMs - head.startMs;
  }

  /** Queues `ex`: at the back, or at the front for a retry (it was accepted once already). */
  add(ex: Exchange, onClientGone: (ex: Exchange) => void): void {
    if (ex.retried) this.items.unshift(ex);
    else this.items.push(ex);
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
}
