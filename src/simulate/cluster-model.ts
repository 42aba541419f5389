// The autoscaling simulator (simulate): replays a rate trace through a queueing model of the gateway and its replicas on a
// manual clock; cluster/autoscaler.ts's policy scales on what the controller samples (in flight, queued, latency).
import { ManualClock } from '../common/clock.js';
import { defaultsOf } from '../common/settings/settings.js';
import { gatewaySettingsTable, type GatewaySettings } from '../common/settings/table-gateway.js';
import { Autoscaler } from '../cluster/autoscale/index.js';
import { policyConfig } from '../cluster/autoscale/index.js';
import type { LatencyDelta } from '../cluster/autoscale/index.js';
import { SimReplica, type SimRequest } from './replica-model.js';
import { serviceMs } from './service-time.js';
import { Stats, summarize } from './stats.js';
import type { SimDecision, SimulationInput, SimulationResult } from './simulation.js';

const gatewayDefaults = defaultsOf(gatewaySettingsTable) as GatewaySettings;
/** The gateway's request-duration buckets (ms), as its /metrics has them. */
export const GATEWAY_BUCKETS_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 80, 100, 200, 500, 1000, 2500];

/** Runs the whole trace; deterministic for the same input. */
export function simulate(input: SimulationInput): SimulationResult {
  return new ClusterModel(input).run();
}

class ClusterModel {
  private readonly clock = new ManualClock(0);
  private readonly policy: Autoscaler;
  private readonly replicas: SimReplica[] = [];
  private readonly stats: Stats;
  private readonly decisions: SimDecision[] = [];
  private gatewayQueue: SimRequest[] = [];
  private gatewayHead = 0;
  private nextId = 1;
  /** Requests due before the second being scheduled (fractional), so fractional rates add up. */
  private cumulative = 0;
  private latencyCounts = new Array<number>(GATEWAY_BUCKETS_MS.length + 1).fill(0);
  private readonly endMs: number;

  constructor(private readonly input: SimulationInput) {
    this.policy = new Autoscaler(policyConfig(input.profile), this.clock);
    this.endMs = input.trace.ratePerSec.length * 1000;
    this.stats = new Stats(input.trace.ratePerSec.length);
  }

  run(): SimulationResult {
    const p = this.input.profile;
    for (let i = 0; i < (this.input.initialReplicas ?? p.replicas.initial); i++) this.addReplica(true);
    this.arrivalsOf(0, 0);
    // Each recurring timer arms the next one, so few timers are ever pending.
    const tickMs = p.autoscaling.metricsIntervalMs;
    const tick = (atMs: number) =>
      this.clock.setTimer(() => {
        this.tick();
        if (atMs + tickMs < this.endMs) tick(atMs + tickMs);
      }, atMs - this.clock.nowMs());
    tick(tickMs);
    const second = (s: number) =>
      this.clock.setTimer(
        () => {
          this.closeSecond(s);
          if (s + 1 < this.input.trace.ratePerSec.length) second(s + 1);
        },
        (s + 1) * 1000 - 1e-6 - this.clock.nowMs(),
      );
    second(0);
    // Let what arrived finish (bounded by the request timeout); the figures stop at the trace's end.
    this.clock.set(this.endMs + p.gateway.requestTimeoutMs + 1);
    this.stats.finish();
    const { trace, serviceTime, startupMs } = this.input;
    return {
      seconds: this.stats.seconds,
      decisions: this.decisions,
      summary: summarize(this.stats.seconds, this.stats.latencies, p.slo),
      startupMs,
      serviceTime,
      trace: { source: trace.source, seconds: trace.ratePerSec.length },
    };
  }

  /**
   * The arrivals of second `s` from its `i`-th on, evenly spaced (a constant-rate open loop, as
   * `serve bench` sends), one timer at a time; fractional rates carry over to the next second.
   */
  private arrivalsOf(s: number, i: number): void {
    const rates = this.input.trace.ratePerSec;
    for (; s < rates.length; s++, i = 0) {
      const n = Math.floor(this.cumulative + rates[s]!) - Math.floor(this.cumulative);
      if (i < n) {
        const atMs = s * 1000 + ((i + 0.5) * 1000) / n;
        this.clock.setTimer(() => {
          this.arrive();
          this.arrivalsOf(s, i + 1);
        }, atMs - this.clock.nowMs());
        return;
      }
      this.cumulative += rates[s]!;
    }
  }

  private arrive(): void {
    const now = this.clock.nowMs();
    this.stats.arrived(now);
    const r: SimRequest = { arrivedMs: now };
    if (!this.route(r)) {
      if (this.gatewayQueue.length - this.gatewayHead >= this.input.profile.gateway.maxQueuedRequests)
        this.stats.failed(now);
      else this.gatewayQueue.push(r);
    }
  }

  /** Sends `r` to the ready replica with the fewest in flight that has a free slot; false when none has. */
  private route(r: SimRequest): boolean {
    let best: SimReplica | undefined;
    for (const rep of this.replicas) {
      if (!rep.routable || rep.inFlight >= gatewayDefaults.maxInflightPerReplica) continue;
      if (!best || rep.inFlight < best.inFlight) best = rep;
    }
    if (!best) return false;
    best.submit(r);
    return true;
  }

  /** Hands queued requests to replicas with free slots; those past the gateway's timeout fail. */
  private pullQueue(): void {
    const now = this.clock.nowMs();
    const timeout = this.input.profile.gateway.requestTimeoutMs;
    while (this.gatewayHead < this.gatewayQueue.length) {
      const r = this.gatewayQueue[this.gatewayHead]!;
      if (now - r.arrivedMs > timeout) {
        this.gatewayHead++;
        this.stats.failed(r.arrivedMs + timeout);
        continue;
      }
      if (!this.route(r)) break;
      this.gatewayHead++;
    }
    if (this.gatewayHead > 1024 && this.gatewayHead * 2 > this.gatewayQueue.length) {
      this.gatewayQueue = this.gatewayQueue.slice(this.gatewayHead);
      this.gatewayHead = 0;
    }
  }

  private onDone(done: readonly SimRequest[]): void {
    const now = this.clock.nowMs();
    const timeout = this.input.profile.gateway.requestTimeoutMs;
    for (const r of done) {
      const ms = now - r.arrivedMs;
      if (ms > timeout) {
        this.stats.failed(now);
        continue;
      }
      this.stats.answered(now, ms);
      let b = GATEWAY_BUCKETS_MS.findIndex((le) => ms <= le);
      if (b < 0) b = GATEWAY_BUCKETS_MS.length;
      this.latencyCounts[b]!++;
    }
    this.pullQueue();
  }

  private addReplica(ready: boolean): void {
    const b = this.input.profile.batching;
    const rep = new SimReplica(this.nextId++, {
      clock: this.clock,
      maxBatchSize: b.maxBatchSize,
      batchWaitMs: b.batchWaitMs,
      serviceMs: (rows) => serviceMs(this.input.serviceTime, rows),
      onDone: (_r, done) => this.onDone(done),
      budgetMs: this.input.profile.gateway.requestTimeoutMs,
      onExpired: (r) => this.stats.failed(r.arrivedMs + this.input.profile.gateway.requestTimeoutMs),
    });
    this.replicas.push(rep);
    if (ready) rep.phase = 'ready';
    else {
      this.clock.setTimer(() => {
        if (rep.phase !== 'starting') return;
        rep.phase = 'ready';
        this.pullQueue();
      }, this.input.startupMs);
    }
  }

  /** Replicas the controller aims for: started or starting, not draining. */
  private get active(): SimReplica[] {
    return this.replicas.filter((r) => r.phase === 'starting' || r.phase === 'ready');
  }

  /** Adds replicas, or drains the least useful (starting ones first, then the newest ready). */
  private setReplicas(n: number): void {
    const active = this.active;
    for (let i = active.length; i < n; i++) this.addReplica(false);
    const order = [...active].sort((a, b) => (a.phase === b.phase ? b.id - a.id : a.phase === 'starting' ? -1 : 1));
    for (const r of order.slice(0, Math.max(0, active.length - n))) r.drain();
  }

  /** One autoscaling step, as the controller's loop takes it. */
  private tick(): void {
    const ready = this.replicas.filter((r) => r.phase === 'ready');
    const latency: LatencyDelta = { boundsMs: GATEWAY_BUCKETS_MS, counts: this.latencyCounts };
    this.latencyCounts = new Array<number>(GATEWAY_BUCKETS_MS.length + 1).fill(0);
    this.policy.observe({
      inFlight: ready.reduce((a, r) => a + r.inFlight, 0),
      queued: this.gatewayQueue.length - this.gatewayHead,
      replicaQueued: ready.reduce((a, r) => a + r.queued, 0),
      latency,
    });
    const current = this.active.length;
    const d = this.policy.decide(current);
    if (d?.applyReplicas === undefined) return;
    this.decisions.push({ second: this.clock.nowMs() / 1000, from: current, to: d.applyReplicas, reason: d.reason });
    this.setReplicas(d.applyReplicas);
  }

  private closeSecond(s: number): void {
    const now = this.clock.nowMs();
    const alive = this.replicas.filter((r) => r.phase !== 'stopped' || (r.stoppedMs ?? 0) > s * 1000);
    // Replica-seconds: every replica that existed during the second, for the part it existed.
    const spent = alive.reduce(
      (a, r) => a + (Math.min(now, r.stoppedMs ?? now) - Math.max(s * 1000, r.startedMs)) / 1000,
      0,
    );
    this.stats.closeSecond(s, {
      replicas: this.active.length,
      ready: this.replicas.filter((r) => r.phase === 'ready').length,
      replicaSeconds: Math.max(0, spent),
      ratePerSec: this.input.trace.ratePerSec[s] ?? 0,
    });
    this.replicas.splice(0, this.replicas.length, ...this.replicas.filter((r) => r.phase !== 'stopped'));
  }
}
