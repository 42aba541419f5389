// The autoscaling shell (control plane): every metrics interval, on due times that a slow scrape does
// not push back, it samples the replicas (in flight, queue depth) and the gateway's /metrics (queued
// requests, request-duration histogram), feeds the pure policy (autoscaler.ts) and applies what it decides, unless the count is pinned by `serve
// scale N`. Each decision that changes something or starts a wait is one JSON log line with its
// inputs, and is kept for `serve status` with the replica count over the last minutes.
import { everyDue, type Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { ScalingRecord } from '../../common/cluster-status.js';
import type { Profile } from '../../profile/types.js';
import type { InForce } from '../in-force.js';
import { Autoscaler, type ScalingDecision } from './autoscaler.js';
import { policyConfig } from './context.js';
import type { ClusterEvent } from '../events.js';
import { histogramDelta, type HistogramSnapshot } from './latency-window.js';
import { gatewayReading } from './metrics-parse.js';

/** What the loop needs of the supervisor. */
export interface ScalingTarget {
  readonly desired: number;
  /** Replicas ready now. */
  readonly ready: number;
  /** True while a rolling replacement runs (the count is briefly one more; the loop does not act). */
  readonly rolling: boolean;
  setReplicas(n: number): void;
  /** Requests in flight at the ready replicas and waiting in their queues; undefined when none answered. */
  sampleLoad(timeoutMs: number): Promise<{ inFlight: number; queued: number } | undefined>;
}

export interface AutoscaleLoopOptions {
  clock: Clock;
  /** Wall-clock milliseconds, for the times shown in status (default Date.now). */
  wallNowMs?: () => number;
  target: ScalingTarget;
  /** The gateway's /metrics text now, or undefined when it does not answer. */
  gatewayMetrics(timeoutMs: number): Promise<string | undefined>;
  log: Logger;
  emit(e: ClusterEvent): void;
}

/**
 * How long one sample's scrapes may take, ms: well inside the metrics interval (at most 1 s), so a
 * scrape that hangs ends before the next due time and the period stays the documented one.
 */
export function scrapeTimeoutMs(metricsIntervalMs: number): number {
  return Math.min(1000, metricsIntervalMs * 0.8);
}

/** Decisions kept for status. */
const KEEP_DECISIONS = 20;
/** History kept for status, and the longest gap between two of its points. */
const HISTORY_MS = 15 * 60_000;
const HISTORY_STEP_MS = 10_000;

export class AutoscaleLoop {
  /** Set by `serve scale N` until `serve scale auto`. */
  pinned: number | undefined;
  /** A prewarm's floor until the switch. */
  floor: number | undefined;
  /** The policy's last view, shown by status. */
  lastDecision: ScalingDecision | undefined;
  readonly decisions: ScalingRecord[] = [];
  readonly history: Array<{ at: string; replicas: number; ready: number }> = [];
  private readonly policy: Autoscaler;
  private stopLoop: (() => void) | undefined;
  private lastGateway: HistogramSnapshot | undefined;
  private lastLogged = '';

  constructor(
    private readonly inForce: InForce,
    private readonly o: AutoscaleLoopOptions,
  ) {
    this.policy = new Autoscaler(policyConfig(inForce.profile), o.clock);
    // A profile with other bounds or autoscaling settings put in force (a schedule switch) resets the
    // policy; a live batching change keeps those sections and leaves the policy as it is.
    inForce.onChange(({ what, previous }) => {
      const now = inForce.profile;
      if (what === 'profile' && (now.autoscaling !== previous.autoscaling || now.replicas !== previous.replicas))
        this.profileChanged(previous);
    });
  }

  private get profile(): Profile {
    return this.inForce.profile;
  }

  /** Applies the policy's decisions: autoscaling is on and the count is not pinned. */
  get active(): boolean {
    return this.profile.autoscaling.enabled && this.pinned === undefined;
  }

  start(): void {
    this.recordHistory(true);
    this.stopLoop ??= everyDue(this.o.clock, this.profile.autoscaling.metricsIntervalMs, (dueMs) => this.tick(dueMs), {
      unref: true,
    });
  }

  stop(): void {
    this.stopLoop?.();
  }

  /** A new profile in force (a schedule switch): new bounds, target, delays and guard; pending delays start again. */
  private profileChanged(previous: Profile): void {
    const profile = this.profile;
    const interval = profile.autoscaling.metricsIntervalMs !== previous.autoscaling.metricsIntervalMs;
    this.floor = undefined;
    this.policy.reconfigure(policyConfig(profile));
    if (interval && this.stopLoop) {
      this.stopLoop();
      this.stopLoop = undefined;
      this.start();
    }
  }

  /** Keeps at least `n` replicas (and allows that many) until the next profile is in force: a prewarm. */
  setFloor(n: number): void {
    this.floor = n;
    this.policy.reconfigure(policyConfig(this.profile, n));
  }

  /** `serve scale N` pins the count (undefined: `serve scale auto` unpins); the policy judges afresh. */
  pin(n: number | undefined, from: number): void {
    this.pinned = n;
    this.policy.reset();
    const to = n ?? from;
    this.record({
      by: 'manual',
      action: n === undefined ? 'unpin' : 'pin',
      from,
      to,
      reason:
        n === undefined
          ? 'serve scale auto: the policy decides again'
          : `serve scale ${n}: pinned until \`serve scale auto\``,
    });
  }

  /** Records a change made by someone else (a schedule switch or prewarm) in the decision list. */
  record(r: Omit<ScalingRecord, 'at'>): void {
    const entry: ScalingRecord = { at: new Date(this.wallNow()).toISOString(), ...r };
    this.decisions.push(entry);
    if (this.decisions.length > KEEP_DECISIONS) this.decisions.shift();
    this.o.log.info('scaling decision', { ...entry });
  }

  /**
   * One step: sample, feed the policy, apply its decision (unless pinned, off, or rolling). The
   * sample and the decision are dated `dueMs`, the time the step was due (its scrapes began then),
   * so the delays are measured in whole periods, not periods plus scrape times.
   */
  async tick(dueMs = this.o.clock.nowMs()): Promise<void> {
    const a = this.profile.autoscaling;
    const timeoutMs = scrapeTimeoutMs(a.metricsIntervalMs);
    const [load, gatewayText] = await Promise.all([
      this.o.target.sampleLoad(timeoutMs),
      this.o.gatewayMetrics(timeoutMs),
    ]);
    this.recordHistory(false);
    if (load === undefined) return;
    const gw = gatewayText === undefined ? undefined : gatewayReading(gatewayText);
    const latency = gw?.latency ? histogramDelta(this.lastGateway, gw.latency) : undefined;
    if (gw?.latency) this.lastGateway = gw.latency;
    this.policy.observe(
      { inFlight: load.inFlight, queued: gw?.queued ?? 0, replicaQueued: load.queued, latency },
      dueMs,
    );
    const current = this.o.target.desired;
    const d = this.policy.decide(current, dueMs);
    if (!d) return;
    this.lastDecision = d;
    const apply = a.enabled && this.pinned === undefined && !this.o.target.rolling && d.applyReplicas !== undefined;
    this.log(d, current, apply);
    if (apply) {
      this.o.emit({
        level: 'info',
        kind: 'scaled',
        message: `autoscaling ${current} -> ${d.applyReplicas} replicas: ${d.reason}`,
      });
      this.o.target.setReplicas(d.applyReplicas!);
      this.recordHistory(true);
    }
  }

  /** Logs a decision when it changes the count or what the policy waits for (not every steady tick). */
  private log(d: ScalingDecision, current: number, applied: boolean): void {
    const key = `${d.action}:${d.desiredReplicas}:${current}:${applied}`;
    if (key === this.lastLogged && !applied) return;
    this.lastLogged = key;
    const held =
      d.applyReplicas !== undefined && !applied
        ? this.pinned !== undefined
          ? ' (not applied: pinned by serve scale)'
          : !this.profile.autoscaling.enabled
            ? ' (not applied: autoscaling is off)'
            : ' (not applied: a rolling replacement runs)'
        : '';
    this.record({
      by: 'policy',
      action: applied ? 'apply' : d.action,
      from: current,
      to: applied ? d.applyReplicas! : d.desiredReplicas,
      reason: d.reason + held,
      signal: round(d.signal),
      inFlight: round(d.averageInFlight),
      queued: round(d.averageQueued),
      ...(d.guard?.p99Ms !== undefined ? { p99Ms: round(d.guard.p99Ms) } : {}),
    });
  }

  private recordHistory(force: boolean): void {
    const now = this.wallNow();
    const last = this.history.at(-1);
    const replicas = this.o.target.desired;
    const ready = this.o.target.ready;
    if (
      !force &&
      last &&
      last.replicas === replicas &&
      last.ready === ready &&
      now - Date.parse(last.at) < HISTORY_STEP_MS
    )
      return;
    this.history.push({ at: new Date(now).toISOString(), replicas, ready });
    while (this.history.length > 0 && now - Date.parse(this.history[0]!.at) > HISTORY_MS) this.history.shift();
  }

  private wallNow(): number {
    return (this.o.wallNowMs ?? Date.now)();
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
