// The rollout's shell (control plane): carries out what the pure step machine (rollout/steps.ts)
// says: starts the new version's replicas beside the old, moves gateway weights, scrapes the
// gateway's per-version figures at each step's start and end for the judge (and a few times during
// the step, so a clearly bad version is rolled back early), and completes or rolls back through the
// supervisor's drain path. Every decision goes to the event log with its figures.
import { ChangeSignal } from '../../common/change-signal.js';
import type { TimerHandle } from '../../common/clock.js';
import { UserError, errorMessage } from '../../common/errors.js';
import type { RolloutDecision, RolloutRequest, RolloutStatus, VersionFigures } from '../../common/rollout.js';
import type { SloTargets } from '../../common/wire.js';
import type { ScalingTarget } from '../autoscale/index.js';
import { recordDecision, versionsLine } from './decisions.js';
import { completeRollout, rollBack } from './endings.js';
import { guardRollout, holdScaling } from './hold.js';
import type { RolloutHost } from './runner-host.js';
import { figuresOf, parseVersionMetrics, stepCounts, type MetricsSnapshot } from './figures.js';
import { DURING_STEP, judgeStep } from './judge.js';
import { advance, initialStep, type StepAction, type StepEvent, type StepState } from './steps.js';
import { startNewReplicas } from './start-replicas.js';

/** During a step the judge looks from a quarter of the step on, every eighth of it (at least this often apart). */
const MIN_CHECK_EVERY_MS = 250;

export class RolloutRunner {
  private s: RolloutStatus | undefined;
  private machine: StepState = initialStep;
  private timer: TimerHandle | undefined;
  /** The next look during the step (early rollback). */
  private checkTimer: TimerHandle | undefined;
  private before: MetricsSnapshot = new Map();
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
      weights: { [cur.version]: 100, [req.version]: 0 },
      decisions: [],
    };
    this.machine = initialStep;
    this.original = this.h.desired();
    this.decide(
      'started',
      `rolling ${req.model} out from version ${cur.version} to ${req.version}: steps ` +
        `${req.stepsPercent.join('%, ')}%, ${req.stepTimeMs} ms each, max regression ` +
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
      this.feed(started.ok ? { type: 'ready' } : { type: 'abort', why: started.message });
    } catch (err) {
      this.feed({ type: 'abort', why: `starting the new replicas failed: ${errorMessage(err)}` });
    }
  }

  private feed(e: StepEvent): void {
    if (this.closed || !this.s) return;
    const { state, actions } = advance(
      this.machine,
      e,
      { stepsPercent: this.s.stepsPercent, stepTimeMs: this.s.stepTimeMs },
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
        await this.h.setWeights(s.weights);
        this.before = parseVersionMetrics((await this.h.gatewayMetrics()) ?? '');
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
      case 'complete':
        await completeRollout(this.h, s, (kind, message) => this.decide(kind, message));
        return this.feed({ type: 'done' });
      case 'rollback':
        this.h.clock.clearTimer(this.timer);
        this.h.clock.clearTimer(this.checkTimer);
        await rollBack(this.h, s, a.why, this.original, (kind, message) => this.decide(kind, message));
        return this.feed({ type: 'done' });
    }
  }

  /** The step's end: the figures of both versions over the step, judged. */
  private async judge(): Promise<void> {
    if (this.machine.phase !== 'stepping') return;
    const step = this.machine.step;
    this.h.clock.clearTimer(this.checkTimer);
    const seen = await this.stepFigures(step);
    if (seen === undefined) return;
    const { figures, line } = seen;
    const v = judgeStep(figures.old, figures.new, { slo: this.slo, maxRegression: this.s!.maxRegression });
    this.decide(
      v.ok ? 'passed' : 'rollback',
      `step ${step} ${v.ok ? 'passed' : 'missed'}: ` + `${v.ok ? line : `${v.misses.join('; ')} (${line})`}`,
      figures,
    );
    this.feed(
      v.ok ? { type: 'judged', ok: true } : { type: 'judged', ok: false, why: `step ${step}: ${v.misses.join('; ')}` },
    );
  }

  /** Looks at step `step` after `inMs`; until its last eighth, again every eighth of it. */
  private scheduleCheck(step: number, inMs: number): void {
    this.h.clock.clearTimer(this.checkTimer);
    const endsAtMs = this.machine.stepEndsAtMs ?? 0;
    if (this.h.clock.nowMs() + inMs >= endsAtMs - MIN_CHECK_EVERY_MS) return;
    this.checkTimer = this.h.clock.setTimer(() => void this.check(step), inMs);
  }

  /** During step `step`: a miss on the stricter evidence (judge.ts DURING_STEP) rolls back now. */
  private async check(step: number): Promise<void> {
    if (this.machine.phase !== 'stepping' || this.machine.step !== step) return;
    const seen = await this.stepFigures(step);
    if (seen === undefined) return;
    const s = this.s!;
    const v = judgeStep(
      seen.figures.old,
      seen.figures.new,
      { slo: this.slo, maxRegression: s.maxRegression },
      DURING_STEP,
    );
    if (v.ok) return this.scheduleCheck(step, Math.max(MIN_CHECK_EVERY_MS, s.stepTimeMs / 8));
    const intoS = ((s.stepTimeMs - ((this.machine.stepEndsAtMs ?? 0) - this.h.clock.nowMs())) / 1000).toFixed(1);
    this.decide(
      'rollback',
      `step ${step} missed after ${intoS} s of ${s.stepTimeMs / 1000} s: ` + `${v.misses.join('; ')} (${seen.line})`,
      seen.figures,
    );
    this.feed({ type: 'judged', ok: false, why: `step ${step} (after ${intoS} s): ${v.misses.join('; ')}` });
  }

  /** Both versions' figures since step `step` began; undefined when the step ended meanwhile. */
  private async stepFigures(
    step: number,
  ): Promise<{ figures: { old: VersionFigures; new: VersionFigures }; line: string } | undefined> {
    const s = this.s!;
    const after = parseVersionMetrics((await this.h.gatewayMetrics()) ?? '');
    if (this.machine.phase !== 'stepping' || this.machine.step !== step) return undefined;
    const figures = { old: this.figures(after, s.fromVersion), new: this.figures(after, s.toVersion) };
    return { figures, line: versionsLine(s, figures) };
  }

  private figures(after: MetricsSnapshot, version: number): VersionFigures {
    return figuresOf(stepCounts(this.before, after, String(version)));
  }

  private decide(kind: RolloutDecision['kind'], message: string, figures?: RolloutDecision['figures']): void {
    recordDecision(this.s!, (e) => this.h.emit(e), kind, message, figures);
  }
}
