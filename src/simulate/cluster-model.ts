// The autoscaling simulator (simulate): replays a rate trace through a queueing model of the gateway and its replicas on a
// manual clock; cluster/autoscaler.ts's policy scales on what the controller samples (in flight, queued, latency),
// each gauge taken as its time average since the previous sample (time-average.ts).
import { ManualClock } from '../common/clock.js';
import { Autoscaler, policyConfig, type LatencyDelta } from '../cluster/autoscale/index.js';
import type { BatchCostCurve } from '../common/batching/adaptive-batching.js';
import { Arrivals } from './arrivals.js';
import { GatewayModel } from './gateway-model.js';
import { SimReplica, type SimRequest } from './replica-model.js';
import { costCurveOf, serviceMs } from './service-time.js';
import { Stats, summarize } from './stats.js';
import { DEFAULT_ARRIVALS, DEFAULT_HANDLING_MS } from './simulation.js';
import type { SimDecision, SimTick, SimulationInput, SimulationResult } from './simulation.js';

/** The gateway's request-duration buckets (ms), as its /metrics has them. */
export const GATEWAY_BUCKETS_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 80, 100, 200, 500, 1000, 2500];

/** Runs the whole trace; deterministic for the same input. */
export function simulate(input: SimulationInput): SimulationResult {
  return new ClusterModel(input).run();
}

/** simulate, and every answered latency (ms) by the second it was answered in (for percentiles over any span). */
export function simulateWithLatencies(input: SimulationInput): {
  result: SimulationResult;
  latenciesBySecond: ReadonlyArray<readonly number[] | undefined>;
} {
  const model = new ClusterModel(input);
  const result = model.run();
  return { result, latenciesBySecond: model.latencies };
}

class ClusterModel {
  private readonly clock = new ManualClock(0);
  private readonly policy: Autoscaler;
  private readonly replicas: SimReplica[] = [];
  private readonly stats: Stats;
  private readonly decisions: SimDecision[] = [];
  private readonly ticks: SimTick[] = [];
  private readonly curve: BatchCostCurve;
  /** When the controller last sampled. */
  private lastSampleMs = 0;
  private readonly gateway: GatewayModel;
  private nextId = 1;
  /** Requests due before the second being scheduled (fractional), so fractional rates add up. */
  private cumulative = 0;
  private latencyCounts = new Array<number>(GATEWAY_BUCKETS_MS.length + 1).fill(0);
  private readonly endMs: number;
  private readonly arrivals: Arrivals;
  /** The current second's arrival instants. */
  private offsetsMs: number[] = [];

  constructor(private readonly input: SimulationInput) {
    this.policy = new Autoscaler(policyConfig(input.profile), this.clock);
    this.endMs = input.trace.ratePerSec.length * 1000;
    this.stats = new Stats(input.trace.ratePerSec.length);
    this.curve = costCurveOf(input.serviceTime);
    this.arrivals = new Arrivals(input.arrivals ?? DEFAULT_ARRIVALS);
    const p = input.profile;
    this.gateway = new GatewayModel({
      clock: this.clock,
      maxQueuedRequests: p.gateway.maxQueuedRequests,
      requestTimeoutMs: p.gateway.requestTimeoutMs,
      replicas: () => this.replicas,
      failed: (atMs) => this.stats.failed(atMs),
    });
  }

  get latencies(): ReadonlyArray<readonly number[] | undefined> {
    return this.stats.latencies;
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
    const { trace, serviceTime, startupMs, handlingMs = DEFAULT_HANDLING_MS, arrivals = DEFAULT_ARRIVALS } = this.input;
    return {
      handlingMs,
      arrivals,
      seconds: this.stats.seconds,
      decisions: this.decisions,
      ticks: this.ticks,
      summary: summarize(this.stats.seconds, this.stats.latencies, p.slo),
      startupMs,
      serviceTime,
      trace: { source: trace.source, seconds: trace.ratePerSec.length },
    };
  }

  /**
   * The arrivals of second `s` from its `i`-th on, at the input's pattern (arrivals.ts), one timer
   * at a time; fractional rates carry over to the next second.
   */
  private arrivalsOf(s: number, i: number): void {
    const rates = this.input.trace.ratePerSec;
    for (; s < rates.length; s++, i = 0) {
      const n = Math.floor(this.cumulative + rates[s]!) - Math.floor(this.cumulative);
      if (i < n) {
        if (i === 0) this.offsetsMs = this.arrivals.offsetsMs(n);
        const atMs = s * 1000 + this.offsetsMs[i]!;
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
    this.gateway.admit({ arrivedMs: now });
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
    this.gateway.pull();
  }

  private addReplica(ready: boolean): void {
    const b = this.input.profile.batching;
    const rep = new SimReplica(this.nextId++, {
      clock: this.clock,
      mode: b.mode,
      maxBatchSize: b.maxBatchSize,
      batchWaitMs: b.batchWaitMs,
      maxQueuedRequests: b.maxQueuedRequests,
      serviceMs: (rows) => serviceMs(this.input.serviceTime, rows),
      handlingMs: this.input.handlingMs ?? DEFAULT_HANDLING_MS,
      curve: this.curve,
      onDone: (_r, done) => this.onDone(done),
      budgetMs: this.input.profile.gateway.requestTimeoutMs,
      onExpired: (r) => this.stats.failed(r.arrivedMs + this.input.profile.gateway.requestTimeoutMs),
      onRefused: (rep, r) => this.gateway.refused(rep, r),
    });
    this.replicas.push(rep);
    if (ready) rep.phase = 'ready';
    else {
      this.clock.setTimer(() => {
        if (rep.phase !== 'starting') return;
        rep.phase = 'ready';
        this.gateway.pull();
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

  /**
   * One autoscaling step, as the controller's loop takes it. The controller reads each gauge once,
   * at an instant with no fixed phase of the arrivals; the mean of such readings is the gauge's
   * time average, which is what the simulated sample is (the ready replicas' in flight and queued,
   * the gateway's queue, each averaged since the previous step).
   */
  private tick(): void {
    const now = this.clock.nowMs();
    const spanMs = Math.max(1e-9, now - this.lastSampleMs);
    this.lastSampleMs = now;
    const ready = this.replicas.filter((r) => r.phase === 'ready');
    // Replicas not ready now are not scraped (a starting one has had nothing in flight yet).
    for (const r of this.replicas) {
      if (r.phase === 'ready') continue;
      r.inFlightLevel.takeArea(now);
      r.queuedLevel.takeArea(now);
    }
    const latency: LatencyDelta = { boundsMs: GATEWAY_BUCKETS_MS, counts: this.latencyCounts };
    this.latencyCounts = new Array<number>(GATEWAY_BUCKETS_MS.length + 1).fill(0);
    const inFlight = ready.reduce((a, r) => a + r.inFlightLevel.takeArea(now), 0) / spanMs;
    const queued = this.gateway.queueLevel.takeArea(now) / spanMs;
    const replicaQueued = ready.reduce((a, r) => a + r.queuedLevel.takeArea(now), 0) / spanMs;
    this.policy.observe({ inFlight, queued, replicaQueued, latency });
    const current = this.active.length;
    const d = this.policy.decide(current);
    this.ticks.push({
      second: now / 1000,
      inFlight,
      queued,
      signal: d?.signal ?? 0,
      desired: d?.desiredReplicas ?? current,
    });
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
