// The rollout's shell (control plane): carries out what the step machine (steps.ts) says: starts
// and warms the new replicas (warmup.ts), moves gateway weights (step-start.ts: held replicas that
// rejoin routing are warmed again first; the step's time starts once routed), takes each step's windows
// (step-windows.ts) for the judge (judge.ts) at the step's end and, stricter, from a quarter of it
// on (a plainly worse version goes back early), and completes or rolls back through the
// supervisor's drain path. Every decision goes to the event log with its figures and intervals.
import { ChangeSignal } from '../../common/change-signal.js';
import type { TimerHandle } from '../../common/clock.js';
import { UserError, errorMessage } from '../../common/errors.js';
import type { RolloutDecision, RolloutRequest, RolloutStatus, StepJudgement } from '../../common/rollout.js';
import type { SloTargets } from '../../common/wire.js';
import type { ScalingTarget } from '../autoscale/index.js';
import { inconclusiveLine, newRolloutStatus, recordDecision, startedLine, versionsLine } from './decisions.js';
import { completeRollout, rollBack } from './endings.js';
import { guardRollout, holdScaling } from './hold.js';
import type { RolloutHost } from './runner-host.js';
import { AT_STEP_END, DURING_STEP } from './judge.js';
import { judgementLine, stepEndDecision } from './judgement-lines.js';
import { StepWindows, type SeenStep } from './step-windows.js';
import { advance, initialStep, type StepAction, type StepEvent, type StepState } from './steps.js';
import { startNewReplicas } from './start-replicas.js';
import { routedLine } from './canary-scale.js';
import { routeStep } from './step-start.js';

/** During a step the judge looks from a quarter of the step on, every eighth of it (at least this often apart). */
const MIN_CHECK_EVERY_MS = 250;
export class RolloutRunner {
  private s: RolloutStatus | undefined;
  private machine: StepState = initialStep;
  private timer: TimerHandle | undefined;
  /** The next look during the step (early rollback). */
  private checkTimer: TimerHandle | undefined;
  /** The windows of the rollout's steps (step-windows.ts). */
  private windows: StepWindows | undefined;
  private original = 0;
  private closed = false;
  /** The new replicas the step in progress holds out of routing (warm again before they rejoin). */
  private held: readonly string[] = [];

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
    this.s = newRolloutStatus(req, cur);
    this.machine = initialStep;
    this.windows?.stop();
    this.windows = undefined;
    this.held = [];
    this.original = this.h.desired();
    this.decide('started', startedLine(this.s));
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
    this.windows?.stop();
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
    // The status carries the plan: its steps, step time, longest step and on_inconclusive.
    const { state, actions } = advance(this.machine, e, this.s, this.h.clock.nowMs());
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
        // Like with like: the new share goes to as many new replicas as match the old ones' rate each.
        this.windows?.stop();
        const current = this.stillStep(s.step);
        const routing = await routeStep(this.h, s, a.percent, this.held, current, (k, m) => this.decide(k, m));
        if (routing === undefined) return;
        this.held = routing.held;
        this.windows ??= new StepWindows(this.h, { from: s.fromVersion, to: s.toVersion }, s.stepTimeMs);
        await this.windows.begin(current, routing);
        const step = `step ${s.step}/${s.stepsPercent.length}: ${a.percent}% of traffic to version ${s.toVersion}`;
        this.decide('step', `${step}${routedLine(routing)} for ${s.stepTimeMs} ms`);
        this.feed({ type: 'routed', step: s.step });
        return this.scheduleCheck(s.step, s.stepTimeMs / 4);
      }
      case 'judge-at':
        this.h.clock.clearTimer(this.timer);
        this.timer = this.h.clock.setTimer(() => void this.judge(), a.atMs - this.h.clock.nowMs());
        return;
      case 'not-yet':
        return this.scheduleCheck(s.step, Math.max(MIN_CHECK_EVERY_MS, s.stepTimeMs / 8));
      case 'inconclusive':
        return this.decide('inconclusive', inconclusiveLine(s, a.then));
      case 'complete':
        this.windows?.stop();
        await completeRollout(this.h, s, (kind, message) => this.decide(kind, message));
        return this.feed({ type: 'done' });
      case 'rollback':
        this.h.clock.clearTimer(this.timer);
        this.h.clock.clearTimer(this.checkTimer);
        this.windows?.stop();
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
    const { kind, message, why } = stepEndDecision(step, j, this.s!.toVersion, line);
    this.decide(kind, message, figures, j);
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

  /** True while step `step` is the step in progress. */
  private stillStep(step: number): () => boolean {
    return () => this.machine.phase === 'stepping' && this.machine.step === step;
  }

  /** Step `step`'s judgement at `confidence` over its windows to now; undefined when the step ended meanwhile. */
  private async stepJudgement(step: number, confidence: number): Promise<(SeenStep & { line: string }) | undefined> {
    const s = this.s!;
    // At 100% the old version serves nothing: it is judged by its windows of the previous step.
    const alone = (s.weights[s.fromVersion] ?? 0) === 0;
    const seen = await this.windows?.judge(
      this.stillStep(step),
      alone,
      { slo: this.slo, maxRegression: s.maxRegression },
      confidence,
    );
    return seen && { ...seen, line: versionsLine(s, seen.figures) };
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
