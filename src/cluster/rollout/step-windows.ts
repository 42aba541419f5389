// A rollout step's windows (control plane): scrapes the gateway's per-version histogram every window
// of a step (a 24th of it, 250 ms to 1 s), keeps each version's windows, the old version's of the
// step before (the 100% step is judged against them) and each side's per-replica rate, and hands
// the judge (judge.ts) its samples. Scrapes run one after another; time comes from the host's clock.
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { ReplicaStatus } from '../../common/cluster-status.js';
import type { StepJudgement, VersionFigures } from '../../common/rollout.js';
import type { SloTargets } from '../../common/wire.js';
import { figuresOf, parseVersionMetrics, stepCounts, windowOf, type MetricsSnapshot } from './figures.js';
import { judgeStep, type StepSamples, type VersionWindows } from './judge.js';
import type { CanaryRouting } from './canary-scale.js';

/**
 * A step's windows: a 24th of the step, within these bounds (a 6 s step: 24 windows of 250 ms; a
 * two-minute one: 120 of 1 s). Many short windows give the block bootstrap many blocks, so its
 * small-sample widening stays small.
 */
const MIN_WINDOW_MS = 250;
const MAX_WINDOW_MS = 1000;

/** The length of a step's windows for `stepTimeMs`. */
export function windowMsFor(stepTimeMs: number): number {
  return Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, Math.round(stepTimeMs / 24)));
}

const noWindows = (): VersionWindows => ({ latency: [], rates: [] });

export interface WindowHost {
  clock: Clock;
  gatewayMetrics(): Promise<string | undefined>;
  replicas(): ReplicaStatus[];
}

/** What the judge says of the step so far, with both versions' point figures. */
export interface SeenStep {
  judgement: StepJudgement;
  figures: { old: VersionFigures; new: VersionFigures };
}

export class StepWindows {
  /** The scrape at the step's start (for its point figures), and the latest one (each window's start). */
  private before: MetricsSnapshot = new Map();
  private last: MetricsSnapshot = new Map();
  private windows = { old: noWindows(), new: noWindows() };
  /** The old version's windows, per-replica rate and point figures over the last step it served. */
  private previousOld: VersionWindows = noWindows();
  private previousOldRps = 0;
  private previousFigures: VersionFigures = { count: 0, errors: 0 };
  private timer: TimerHandle | undefined;
  /** The scrape in progress: windows are taken one after another. */
  private sampling: Promise<void> = Promise.resolve();
  /** The step's routing of the new version (begin). */
  private routing: Pick<CanaryRouting, 'routed' | 'plannedLoadRatio'> | undefined;

  constructor(
    private readonly h: WindowHost,
    private readonly versions: { from: number; to: number },
    private readonly stepTimeMs: number,
  ) {}

  /**
   * A step begins (its weights acknowledged): a fresh set of windows, a window every windowMsFor.
   * `routing`: the new replicas the step routes to (the others are held back, canary-scale.ts) and
   * the load ratio that split gives; without it every ready new replica counts.
   */
  async begin(current: () => boolean, routing?: Pick<CanaryRouting, 'routed' | 'plannedLoadRatio'>): Promise<void> {
    this.stop();
    this.routing = routing;
    await this.sampling;
    this.before = this.last = parseVersionMetrics((await this.h.gatewayMetrics()) ?? '');
    if (this.windows.old.latency.length > 0) this.previousOld = this.windows.old;
    this.windows = { old: noWindows(), new: noWindows() };
    this.schedule(current);
  }

  stop(): void {
    this.h.clock.clearTimer(this.timer);
  }

  private schedule(current: () => boolean): void {
    this.timer = this.h.clock.setTimer(() => {
      if (!current()) return;
      void this.take(current);
      this.schedule(current);
    }, windowMsFor(this.stepTimeMs));
  }

  /** Scrapes the gateway and adds the difference to the last scrape as one window of each version. */
  private take(current: () => boolean): Promise<void> {
    this.sampling = this.sampling.then(async () => {
      const text = await this.h.gatewayMetrics();
      // A failed scrape leaves the window open: the next one covers both.
      if (text === undefined || !current()) return;
      const now = parseVersionMetrics(text);
      for (const [side, v] of [
        ['old', this.versions.from],
        ['new', this.versions.to],
      ] as const) {
        const w = windowOf(stepCounts(this.last, now, String(v)));
        this.windows[side].latency.push(w.latency);
        this.windows[side].rates.push(w.rate);
      }
      this.last = now;
    });
    return this.sampling;
  }

  /**
   * The judgement at `confidence` over the step's windows to now (a last window taken first);
   * undefined when the step ended meanwhile. `alone`: the old version serves nothing (the 100%
   * step), so it is judged by its windows of the step before.
   */
  async judge(
    current: () => boolean,
    alone: boolean,
    rules: { slo: SloTargets; maxRegression: number },
    confidence: number,
  ): Promise<SeenStep | undefined> {
    await this.take(current);
    if (!current()) return undefined;
    const { from, to } = this.versions;
    const windowS = windowMsFor(this.stepTimeMs) / 1000;
    // Each version's rate a replica is over the replicas that carried it: the new version's routed ones.
    const routed = this.routing && new Set(this.routing.routed);
    const ready = (v: number) =>
      Math.max(
        1,
        this.h
          .replicas()
          .filter((r) => r.version === v && r.state === 'ready' && (v !== to || !routed || routed.has(r.id))).length,
      );
    const rps = (w: VersionWindows, v: number) =>
      w.rates.reduce((a, r) => a + r.ok + r.errors, 0) / Math.max(windowS, w.rates.length * windowS) / ready(v);
    const oldRps = alone ? this.previousOldRps : rps(this.windows.old, from);
    if (!alone) this.previousOldRps = oldRps;
    const samples: StepSamples = {
      new: this.windows.new,
      old: alone ? this.previousOld : this.windows.old,
      paired: !alone,
      perReplicaRps: { old: oldRps, new: rps(this.windows.new, to) },
      ...(!alone && this.routing ? { plannedLoadRatio: this.routing.plannedLoadRatio } : {}),
    };
    const judgement = judgeStep(samples, rules, confidence);
    const figures = {
      old: alone ? this.previousFigures : this.figures(from),
      new: this.figures(to),
    };
    if (!alone) this.previousFigures = figures.old;
    return { judgement, figures };
  }

  private figures(version: number): VersionFigures {
    return figuresOf(stepCounts(this.before, this.last, String(version)));
  }
}
