// The simulated gateway (simulate): routes each request to the ready replica with the fewest in
// flight that has a free slot (at most the gateway's max in flight per replica), queues the rest
// (503 beyond gateway.max_queued_requests, 504 after gateway.request_timeout), and retries a
// request a replica refused (its queue full) once elsewhere, as the real gateway does.
import type { Clock } from '../common/clock.js';
import { defaultsOf } from '../common/settings/settings.js';
import { gatewaySettingsTable, type GatewaySettings } from '../common/settings/table-gateway.js';
import type { SimReplica, SimRequest } from './replica-model.js';
import { TimeAverage } from './time-average.js';

const gatewayDefaults = defaultsOf(gatewaySettingsTable) as GatewaySettings;

export interface GatewayModelOptions {
  clock: Clock;
  maxQueuedRequests: number;
  requestTimeoutMs: number;
  /** Every replica, in any phase. */
  replicas(): readonly SimReplica[];
  /** A request failed (503 or 504) at `atMs`. */
  failed(atMs: number): void;
}

export class GatewayModel {
  /** serve_gateway_queued_requests over time. */
  readonly queueLevel = new TimeAverage(0);
  private queue: SimRequest[] = [];
  private head = 0;

  constructor(private readonly o: GatewayModelOptions) {}

  /** Requests waiting for a replica slot. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** To a replica with a free slot, else the queue (503 when it is full). */
  admit(r: SimRequest): void {
    if (this.route(r)) return;
    if (this.queued >= this.o.maxQueuedRequests) this.o.failed(this.o.clock.nowMs());
    else {
      this.queue.push(r);
      this.queueLevel.set(this.o.clock.nowMs(), this.queued);
    }
  }

  /** A replica's full queue answered 503: retried once elsewhere, then answered 503. */
  refused(rep: SimReplica, r: SimRequest): void {
    if (r.refusedBy !== undefined) return this.o.failed(this.o.clock.nowMs());
    r.refusedBy = rep;
    this.admit(r);
  }

  /** Hands queued requests to replicas with free slots; those past the request timeout fail. */
  pull(): void {
    const now = this.o.clock.nowMs();
    const timeout = this.o.requestTimeoutMs;
    while (this.head < this.queue.length) {
      const r = this.queue[this.head]!;
      if (now - r.arrivedMs > timeout) {
        this.head++;
        this.o.failed(r.arrivedMs + timeout);
        continue;
      }
      if (!this.route(r)) break;
      this.head++;
    }
    this.queueLevel.set(now, this.queued);
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Sends `r` to the ready replica with the fewest in flight that has a free slot; false when none has. */
  private route(r: SimRequest): boolean {
    let best: SimReplica | undefined;
    for (const rep of this.o.replicas()) {
      if (!rep.routable || rep.inFlight >= gatewayDefaults.maxInflightPerReplica || rep === r.refusedBy) continue;
      if (!best || rep.inFlight < best.inFlight) best = rep;
    }
    if (!best) return false;
    best.submit(r);
    return true;
  }
}
