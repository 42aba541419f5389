// The rollout's shell (control plane): carries out what the pure step machine (rollout/steps.ts)
// says: starts the new version's replicas beside the old and warms them (warmup.ts), moves gateway
// weights, scrapes the gateway's per-version histogram every window of a step (a 24th of it,
// 250 ms to 1 s) for the judge's intervals (judge.ts), judges at the step's end (and from a quarter
// of the step on at a stricter confidence, so a plainly worse version is rolled back early), and
// completes or rolls back through the supervisor's drain path. Every decision goes to the event log
// with its figures and intervals.
import { ChangeSignal } from '../../common/change-signal.js';
import type { TimerHandle } from '../../common/clock.js';
import { UserError, errorMessage } from '../../common/errors.js';
import type {
  RolloutDecision,
  RolloutRequest,
  RolloutStatus,
  StepJudgement,
  VersionFigures,
} from '../../common/rollout.js';
import type { SloTargets } from '../../common/wire.js';
import type { ScalingTarget } from '../autoscale/index.js';
import { recordDecision, versionsLine } from './decisions.js';
import { completeRollout, rollBack } from './endings.js';
import { guardRollout, holdScaling } from './hold.js';
import type { RolloutHost } from './runner-host.js';
import { figuresOf, parseVersionMetrics, stepCounts, windowOf, type MetricsSnapshot } from './figures.js';
import {
  AT_STEP_END,
  DURING_STEP,
  judgeStep,
  judgementLine,
  samplesNeeded,
  type StepSamples,
  type VersionWindows,
} from './judge.js';
import { advance, initialStep, type StepAction, type StepEvent, type StepState } from './steps.js';
import { startNewReplicas } from './start-replicas.js';

/** During a step the judge looks from a quarter of the step on, every eighth of it (at least this often apart). */
const MIN_CHECK_EVERY_MS = 250;
/**
 * A step's windows: a 24th of the step, within these bounds (a 6 s step: 24 windows of 250 ms; a
 * two-minute one: 120 of 1 s). Many short windows give the block bootstrap many blocks, so its
 * small-sample widening stays small.
 */
const MIN_WINDOW_MS = 250;
const MAX_WINDOW_MS = 1000;
/** A step "not yet" decided may run this many times --step-time by default. */
export const DEFAULT_MAX_STEP_FACTOR = 3;

/** The length of a step's windows for `stepTimeMs`. */
export function windowMsFor(stepTimeMs: number): number {
  return Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, Math.round(stepTimeMs / 24)));
}

const noWindows = (): VersionWindows => ({ latency: [], rates: [] });

/** When a step lacks the samples even a p50 needs, says so (and why that can be). */
function short(j: StepJudgement, version: number): string {
  if (j.samples.new >= samplesNeeded(0.5)) return '';
  return (
    `; version ${version} answered ${j.samples.new} requests in ${j.seconds} windows, fewer than the ` +
    `${samplesNeeded(0.5)} a p50 needs (more traffic or a longer step; answers from the response cache ` +
    `are not samples)`
  );
}

export class RolloutRunner {
  private s: RolloutStatus | undefined;
  private machine: StepState = initialStep;
  private timer: TimerHandle | undefined;
  /** The next look during the step (early rollback). */
  private checkTimer: TimerHandle | undefined;
  /** The scrape at the step's start (for its point figures), and the latest one (each window's start). */
  private before: MetricsSnapshot = new Map();
  private last: MetricsSnapshot = new Map();
  /** The step's windows of each version, and the old version's windows of the previous step. */
  private windows = { old: noWindows(), new: noWindows() };
  private previousOld: VersionWindows = noWindows();
  private windowTimer: TimerHandle | undefined;
  /** The scrape in progress: windows are taken one after another. */
  private sampling: Promise<void> = Promise.resolve();
  private original = 0;
  private closed = false;

  constructor(private readonly h: RolloutHost) {}

  get active(): boolean {
    return this.s !== undefined && this.s.phase !== 'completed' && this.s.phase !== 'rolled-back';
  }

  status(): RolloutStatus | undefined {
    return this.s && { ...this.s, weights: { ...this.s.weights }, decisions: [...this.s.decisions] };
  }

  /** Throws a UserError naming `what` while a rollout runs (scaling or reconfiguring would mix versions). */
  guard(what: string): void {
    guardRollout(this.active ? this.s!.toVersion : undefined, what);
  }

  /** `target` that the autoscaler leaves alone while a rollout runs (as during a rolling replacement). */
  holding(target: ScalingTarget): ScalingTarget {
    return holdScaling(target, () => this.active);
  }

  /** Starts a rollout; resolves with its first status once the request is accepted. */
  async start(req: RolloutRequest): Promise<RolloutStatus> {
    this.guard('another rollout');
    const cur = this.h.current();
    if (req.model !== cur.model)
      throw new UserError(`this cluster serves ${cur.model}, not ${req.model}: roll out ${cur.model}@N`);
    if (req.version === cur.version) throw new UserError(`${cur.model}@${cur.version} is already serving all traffic`);
    await this.h.checkModel(req.model, req.version);
    this.guard('another rollout');
    this.s = {
      model: req.model,
      fromVersion: cur.version,
      toVersion: req.version,
      phase: 'starting',
      step: 0,
      stepsPercent: req.stepsPercent,
      stepTimeMs: req.stepTimeMs,
      maxRegression: req.maxRegression,
      maxStepTimeMs: Math.max(req.stepTimeMs, req.maxStepTimeMs ?? DEFAULT_MAX_STEP_FACTOR * req.stepTimeMs),
      onInconclusive: cur.onInconclusive ?? 'rollback',
      weights: { [cur.version]: 100, [req.version]: 0 },
      decisions: [],
    };
    this.machine = initialStep;
    this.original = this.h.desired();
    this.decide(
      'started',
      `rolling ${req.model} out from version ${cur.version} to ${req.version}: steps ` +
        `${req.stepsPercent.join('%, ')}%, ${req.stepTimeMs} ms each (up to ${this.s.maxStepTimeMs} ms ` +
        `while not yet decided, then ${this.s.onInconclusive}), max regression ` +
        `${Math.round(req.maxRegression * 100)}%`,
    );
    void this.prepare(cur.slo);
    return this.status()!;
  }

  /** `serve rollout abort` (or Ctrl-C of `serve rollout`): rolls back unless it already ended. */
  abort(why = 'aborted by `serve rollout abort`'): RolloutStatus {
    if (!this.s) throw new UserError('no rollout has run on this cluster: start one with `serve rollout NAME@VERSION`');
    if (this.active) this.feed({ type: 'abort', why });
    return this.status()!;
  }

  /** The cluster stops: no more timers or actions. */
  close(): void {
    this.closed = true;
    this.phaseChanges.raise();
    this.h.clock.clearTimer(this.timer);
    this.h.clock.clearTimer(this.checkTimer);
    this.h.clock.clearTimer(this.windowTimer);
  }

  private slo: SloTargets = {};
  /** Raised when the step machine's phase may have changed or the runner closed (wakes the start). */
  private readonly phaseChanges = new ChangeSignal();

  /** Routes nothing to the new version yet, starts its replicas, then begins step 1 (or rolls back). */
  private async prepare(slo: SloTargets): Promise<void> {
    this.slo = slo;
    const s = this.s!;
    try {
      await this.h.setWeights(s.weights);
      const started = await startNewReplicas(
        this.h,
        s.fromVersion,
        s.toVersion,
        this.original,
        () => this.machine.phase !== 'starting' || this.closed,
        () => this.phaseChanges.next(),
      );
      if (this.machine.phase !== 'starting') return;
      this.decide('replicas', started.message);
      if (!started.ok) return this.feed({ type: 'abort', why: started.message });
      // Cold replicas are not judged: synthetic requests first, until their latency settles.
      if (this.h.warm) {
        const warmed = await this.h.warm(s.toVersion);
        if (this.machine.phase !== 'starting') return;
        this.decide('warmup', warmed);
      }
      this.feed({ type: 'ready' });
    } catch (err) {
      this.feed({ type: 'abort', why: `starting the new replicas failed: ${errorMessage(err)}` });
    }
  }

  private feed(e: StepEvent): void {
    if (this.closed || !this.s) return;
    const { state, actions } = advance(
      this.machine,
      e,
      {
        stepsPercent: this.s.stepsPercent,
        stepTimeMs: this.s.stepTimeMs,
        maxStepTimeMs: this.s.maxStepTimeMs,
        onInconclusive: this.s.onInconclusive,
      },
      this.h.clock.nowMs(),
    );
    this.machine = state;
    this.phaseChanges.raise();
    Object.assign(this.s, { phase: state.phase, step: state.step, ...(state.reason ? { reason: state.reason } : {}) });
    if (!this.active) this.h.ended?.();
    for (const a of actions)
      void this.perform(a).catch((err) =>
        this.h.emit({ level: 'error', kind: 'rollout', message: `rollout: ${errorMessage(err)}` }),
      );
  }

  private async perform(a: StepAction): Promise<void> {
    const s = this.s!;
    switch (a.type) {
      case 'weights': {
        s.weights = { [s.fromVersion]: 100 - a.percent, [s.toVersion]: a.percent };
        this.h.clock.clearTimer(this.windowTimer);
        await this.h.setWeights(s.weights);
        await this.sampling;
        this.before = this.last = parseVersionMetrics((await this.h.gatewayMetrics()) ?? '');
        if (this.windows.old.latency.length > 0) this.previousOld = this.windows.old;
        this.windows = { old: noWindows(), new: noWindows() };
        this.scheduleWindow(s.step);
        this.decide(
          'step',
          `step ${s.step}/${s.stepsPercent.length}: ${a.percent}% of traffic to version ` +
            `${s.toVersion} for ${s.stepTimeMs} ms`,
        );
        this.scheduleCheck(s.step, s.stepTimeMs / 4);
        return;
      }
      case 'judge-at':
        this.h.clock.clearTimer(this.timer);
        this.timer = this.h.clock.setTimer(() => void this.judge(), a.atMs - this.h.clock.nowMs());
        return;
      case 'not-yet':
        return this.scheduleCheck(s.step, Math.max(MIN_CHECK_EVERY_MS, s.stepTimeMs / 8));
      case 'inconclusive':
        this.decide(
          'inconclusive',
          `step ${s.step} still not decided after ${(s.maxStepTimeMs / 1000).toFixed(1)} s: ` +
            `${a.then === 'proceed' ? 'going on' : 'rolling back'} (rollout.on_inconclusive: ${a.then})`,
        );
        return;
      case 'complete':
        this.h.clock.clearTimer(this.windowTimer);
        await completeRollout(this.h, s, (kind, message) => this.decide(kind, message));
        return this.feed({ type: 'done' });
      case 'rollback':
        this.h.clock.clearTimer(this.timer);
        this.h.clock.clearTimer(this.checkTimer);
        this.h.clock.clearTimer(this.windowTimer);
        await rollBack(this.h, s, a.why, this.original, (kind, message) => this.decide(kind, message));
        return this.feed({ type: 'done' });
    }
  }

  /** The step's end (or the end of its extension): both versions' windows so far, judged. */
  private async judge(): Promise<void> {
    if (this.machine.phase !== 'stepping') return;
    const step = this.machine.step;
    this.h.clock.clearTimer(this.checkTimer);
    const seen = await this.stepJudgement(step, AT_STEP_END);
    if (seen === undefined) return;
    const { judgement: j, figures, line } = seen;
    const why = `step ${step}: ${judgementLine(j)}`;
    const kind = j.outcome === 'pass' ? 'passed' : j.outcome === 'fail' ? 'rollback' : 'not-yet';
    const said = j.outcome === 'pass' ? 'passed' : j.outcome === 'fail' ? 'missed' : 'not yet decided (running on)';
    this.decide(kind, `step ${step} ${said}: ${judgementLine(j)}${short(j, this.s!.toVersion)} (${line})`, figures, j);
    this.feed({ type: 'judged', outcome: j.outcome, why });
  }

  /** Looks at step `step` after `inMs`; until its last eighth, again every eighth of it. */
  private scheduleCheck(step: number, inMs: number): void {
    this.h.clock.clearTimer(this.checkTimer);
    const endsAtMs = this.machine.stepEndsAtMs ?? 0;
    if (this.h.clock.nowMs() + inMs >= endsAtMs - MIN_CHECK_EVERY_MS) return;
    this.checkTimer = this.h.clock.setTimer(() => void this.check(step), inMs);
  }

  /** During step `step`: a decisive fail at the stricter confidence (judge.ts DURING_STEP) rolls back now. */
  private async check(step: number): Promise<void> {
    if (this.machine.phase !== 'stepping' || this.machine.step !== step) return;
    const seen = await this.stepJudgement(step, DURING_STEP);
    if (seen === undefined) return;
    const s = this.s!;
    if (seen.judgement.outcome !== 'fail')
      return this.scheduleCheck(step, Math.max(MIN_CHECK_EVERY_MS, s.stepTimeMs / 8));
    const intoS = ((this.h.clock.nowMs() - (this.machine.stepStartedAtMs ?? 0)) / 1000).toFixed(1);
    const judged = judgementLine(seen.judgement);
    this.decide(
      'rollback',
      `step ${step} missed after ${intoS} s of ${s.stepTimeMs / 1000} s: ${judged} (${seen.line})`,
      seen.figures,
      seen.judgement,
    );
    this.feed({ type: 'judged', outcome: 'fail', why: `step ${step} (after ${intoS} s): ${judged}` });
  }

  /** Takes a window every windowMsFor(stepTime) while step `step` runs. */
  private scheduleWindow(step: number): void {
    this.h.clock.clearTimer(this.windowTimer);
    this.windowTimer = this.h.clock.setTimer(() => {
      if (this.machine.phase !== 'stepping' || this.machine.step !== step) return;
      void this.takeWindow(step);
      this.scheduleWindow(step);
    }, windowMsFor(this.s!.stepTimeMs));
  }

  /** Scrapes the gateway and adds the difference to the last scrape as one window of each version. */
  private takeWindow(step: number): Promise<void> {
    this.sampling = this.sampling.then(async () => {
      const text = await this.h.gatewayMetrics();
      // A failed scrape leaves the window open: the next one covers both.
      if (text === undefined || this.machine.phase !== 'stepping' || this.machine.step !== step) return;
      const now = parseVersionMetrics(text);
      const s = this.s!;
      for (const [side, v] of [
        ['old', s.fromVersion],
        ['new', s.toVersion],
      ] as const) {
        const w = windowOf(stepCounts(this.last, now, String(v)));
        this.windows[side].latency.push(w.latency);
        this.windows[side].rates.push(w.rate);
      }
      this.last = now;
    });
    return this.sampling;
  }

  /** Step `step`'s judgement at `confidence` over its windows to now; undefined when the step ended meanwhile. */
  private async stepJudgement(
    step: number,
    confidence: number,
  ): Promise<
    { judgement: StepJudgement; figures: { old: VersionFigures; new: VersionFigures }; line: string } | undefined
  > {
    const s = this.s!;
    await this.takeWindow(step);
    if (this.machine.phase !== 'stepping' || this.machine.step !== step) return undefined;
    // At 100% the old version serves nothing: it is judged by its windows of the previous step.
    const alone = (s.weights[s.fromVersion] ?? 0) === 0;
    const windowS = windowMsFor(s.stepTimeMs) / 1000;
    const ready = (v: number) =>
      Math.max(1, this.h.replicas().filter((r) => r.version === v && r.state === 'ready').length);
    const rps = (w: VersionWindows, v: number) =>
      w.rates.reduce((a, r) => a + r.ok + r.errors, 0) / Math.max(windowS, w.rates.length * windowS) / ready(v);
    const oldRps = alone ? this.previousOldRps : rps(this.windows.old, s.fromVersion);
    if (!alone) this.previousOldRps = oldRps;
    const samples: StepSamples = {
      new: this.windows.new,
      old: alone ? this.previousOld : this.windows.old,
      paired: !alone,
      perReplicaRps: { old: oldRps, new: rps(this.windows.new, s.toVersion) },
    };
    const judgement = judgeStep(samples, { slo: this.slo, maxRegression: s.maxRegression }, confidence);
    const figures = {
      old: alone ? this.previousFigures : this.figures(this.last, s.fromVersion),
      new: this.figures(this.last, s.toVersion),
    };
    if (!alone) this.previousFigures = figures.old;
    return { judgement, figures, line: versionsLine(s, figures) };
  }

  /** Requests a second each old replica carried in the last step it served. */
  private previousOldRps = 0;

  /** The old version's point figures over the last step it served. */
  private previousFigures: VersionFigures = { count: 0, errors: 0 };

  private figures(after: MetricsSnapshot, version: number): VersionFigures {
    return figuresOf(stepCounts(this.before, after, String(version)));
  }

  private decide(
    kind: RolloutDecision['kind'],
    message: string,
    figures?: RolloutDecision['figures'],
    judgement?: StepJudgement,
  ): void {
    recordDecision(this.s!, (e) => this.h.emit(e), kind, message, figures, judgement);
  }
}
