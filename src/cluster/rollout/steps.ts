// The rollout's step machine (control plane, pure): from starting the new replicas, through each
// traffic step and its verdict, to completed or rolled back. A step's time counts from when the
// gateway routes by its weights ("routed": after the runner warmed any held replica that rejoins
// routing, step-start.ts), so --step-time and --max-step-time are judged seconds, never warmup. A
// step judged "not yet" runs on (half a step at a time) up to the plan's longest step, then
// `onInconclusive` decides. Time is given, never read, so every path is tested on a manual clock;
// the runner carries out the actions it returns.
import type { RolloutPhase } from '../../common/rollout.js';

export interface StepPlan {
  /** New version's share at each step, in percent, increasing and ending at 100. */
  stepsPercent: number[];
  stepTimeMs: number;
  /** The longest a step runs while its judgement is "not yet" (at least stepTimeMs). */
  maxStepTimeMs: number;
  /** What a step still "not yet" at maxStepTimeMs does. */
  onInconclusive: 'rollback' | 'proceed';
}

export interface StepState {
  phase: RolloutPhase;
  /** 1-based step in progress; 0 before the first. */
  step: number;
  /** When the step in progress is judged (next); undefined until it is routed. */
  stepEndsAtMs?: number;
  /** When the gateway began routing by the step's weights; undefined while they are being set. */
  stepStartedAtMs?: number;
  reason?: string;
}

export type StepEvent =
  /** Every new replica placed is ready. */
  | { type: 'ready' }
  /** The gateway routes by step `step`'s weights (after any rejoin warmup): its time starts now. */
  | { type: 'routed'; step: number }
  /** The step in progress was judged at its end: pass, fail (why), or not yet (an interval straddles its limit). */
  | { type: 'judged'; outcome: 'pass' | 'fail' | 'unsure'; why?: string }
  /** `serve rollout abort`, Ctrl-C of the CLI, or new replicas that could not start. */
  | { type: 'abort'; why: string }
  /** The runner finished the completion or the rollback it was asked for. */
  | { type: 'done' };

export type StepAction =
  | { type: 'weights'; percent: number }
  | { type: 'judge-at'; atMs: number }
  | { type: 'complete' }
  | { type: 'rollback'; why: string }
  /** The step runs on: judged again at `atMs` (a judge-at follows). */
  | { type: 'not-yet'; atMs: number }
  /** Still not yet at the longest step: `then` is what the plan's onInconclusive chose. */
  | { type: 'inconclusive'; then: 'rollback' | 'proceed' };

export const initialStep: StepState = { phase: 'starting', step: 0 };

/** The next state and what to do, for `event` at `nowMs`. Events that do not apply change nothing. */
export function advance(
  s: StepState,
  e: StepEvent,
  plan: StepPlan,
  nowMs: number,
): { state: StepState; actions: StepAction[] } {
  const none = { state: s, actions: [] };
  // A step begins with its weights; it is judged from when they are routed ('routed').
  const startStep = (step: number) => ({
    state: { phase: 'stepping' as const, step },
    actions: [{ type: 'weights' as const, percent: plan.stepsPercent[step - 1]! }],
  });
  const rollback = (why: string) => ({
    state: { phase: 'rolling-back' as const, step: s.step, reason: why },
    actions: [{ type: 'rollback' as const, why }],
  });
  switch (e.type) {
    case 'ready':
      return s.phase === 'starting' ? startStep(1) : none;
    case 'routed': {
      if (s.phase !== 'stepping' || s.step !== e.step || s.stepStartedAtMs !== undefined) return none;
      const atMs = nowMs + plan.stepTimeMs;
      return {
        state: { ...s, stepStartedAtMs: nowMs, stepEndsAtMs: atMs },
        actions: [{ type: 'judge-at', atMs }],
      };
    }
    case 'judged': {
      if (s.phase !== 'stepping' || s.stepStartedAtMs === undefined) return none;
      if (e.outcome === 'fail') return rollback(e.why ?? `step ${s.step} missed`);
      const next = () =>
        s.step >= plan.stepsPercent.length
          ? { state: { phase: 'completing' as const, step: s.step }, actions: [{ type: 'complete' as const }] }
          : startStep(s.step + 1);
      if (e.outcome === 'pass') return next();
      const lastMs = s.stepStartedAtMs + Math.max(plan.stepTimeMs, plan.maxStepTimeMs);
      if (nowMs < lastMs) {
        const atMs = Math.min(lastMs, nowMs + plan.stepTimeMs / 2);
        return {
          state: { ...s, stepEndsAtMs: atMs },
          actions: [
            { type: 'not-yet', atMs },
            { type: 'judge-at', atMs },
          ],
        };
      }
      const then = plan.onInconclusive;
      const went = then === 'proceed' ? next() : rollback(e.why ?? `step ${s.step} stayed inconclusive`);
      return { state: went.state, actions: [{ type: 'inconclusive', then }, ...went.actions] };
    }
    case 'abort':
      return s.phase === 'starting' || s.phase === 'stepping' ? rollback(e.why) : none;
    case 'done':
      if (s.phase === 'completing') return { state: { ...s, phase: 'completed' }, actions: [] };
      if (s.phase === 'rolling-back') return { state: { ...s, phase: 'rolled-back' }, actions: [] };
      return none;
  }
}

/** "10%,50%,100%" → [10, 50, 100]; throws RangeError unless increasing shares in (0, 100] ending at 100. */
export function parseStepsPercent(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const out = parts.map((p) => {
    const m = /^(\d+(?:\.\d+)?)%$/.exec(p);
    if (!m) throw new RangeError(`expected shares such as "10%,50%,100%", got "${p}"`);
    return Number(m[1]);
  });
  for (let i = 0; i < out.length; i++) {
    if (!(out[i]! > 0 && out[i]! <= 100))
      throw new RangeError(`each step must be above 0% and at most 100%, got ${out[i]}%`);
    if (i > 0 && out[i]! <= out[i - 1]!)
      throw new RangeError(`steps must increase, got ${out[i - 1]}% then ${out[i]}%`);
  }
  if (out[out.length - 1] !== 100)
    throw new RangeError(
      `the last step must be 100%, got ${out[out.length - 1]}%: write for example "` + `${text},100%"`,
    );
  return out;
}
