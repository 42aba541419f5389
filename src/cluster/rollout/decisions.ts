// The rollout's decision log (control plane): each decision is kept in the rollout's status (the
// last few) and sent to the event log, quoting both versions' figures.
import type {
  RolloutDecision,
  RolloutRequest,
  RolloutStatus,
  StepJudgement,
  VersionFigures,
} from '../../common/rollout.js';
import type { ClusterEvent } from '../events.js';

/** Decisions kept in status. */
const KEEP_DECISIONS = 50;

/** Adds a decision to `s`, at its current step and weight, and emits it (warn for a rollback). */
export function recordDecision(
  s: RolloutStatus,
  emit: (e: ClusterEvent) => void,
  kind: RolloutDecision['kind'],
  message: string,
  figures?: RolloutDecision['figures'],
  judgement?: StepJudgement,
): void {
  const percent = s.weights[s.toVersion];
  s.decisions.push({
    at: new Date().toISOString(),
    kind,
    message,
    ...(s.step > 0 ? { step: s.step, percent } : {}),
    ...(figures ? { figures } : {}),
    ...(judgement ? { judgement } : {}),
  });
  if (s.decisions.length > KEEP_DECISIONS) s.decisions.shift();
  const level = kind === 'rollback' || kind === 'rolled-back' || kind === 'inconclusive' ? 'warn' : 'info';
  emit({ level, kind: 'rollout', message: `rollout: ${message}` });
}

/** "version 2 n=412 err=0 p50=3.1ms vs version 1 n=398 err=0 p50=3.0ms" */
export function versionsLine(s: RolloutStatus, figures: { old: VersionFigures; new: VersionFigures }): string {
  return `version ${s.toVersion} ${show(figures.new)} vs version ${s.fromVersion} ` + `${show(figures.old)}`;
}

/** "n=412 err=0 p50=3.1ms p99=9.8ms" */
function show(f: VersionFigures): string {
  const p = (k: 'p50Ms' | 'p90Ms' | 'p99Ms', name: string) =>
    f[k] === undefined ? '' : ` ${name}=${f[k]!.toFixed(1)}ms`;
  return `n=${f.count} err=${f.errors}${p('p50Ms', 'p50')}${p('p90Ms', 'p90')}` + `${p('p99Ms', 'p99')}`;
}

/** A step "not yet" decided may run this many times --step-time by default. */
export const DEFAULT_MAX_STEP_FACTOR = 3;

/** A new rollout's status, from `cur` (what serves now) to the requested version. */
export function newRolloutStatus(
  req: RolloutRequest,
  cur: { version: number; onInconclusive?: 'rollback' | 'proceed' },
): RolloutStatus {
  return {
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
}

/** "rolling cnn-lstm out from version 1 to 2: steps 10%, 50%, 100%, ..." */
export function startedLine(s: RolloutStatus): string {
  return (
    `rolling ${s.model} out from version ${s.fromVersion} to ${s.toVersion}: steps ` +
    `${s.stepsPercent.join('%, ')}%, ${s.stepTimeMs} ms each (up to ${s.maxStepTimeMs} ms ` +
    `while not yet decided, then ${s.onInconclusive}), max regression ` +
    `${Math.round(s.maxRegression * 100)}%`
  );
}

/** A step still not yet decided at its longest: what rollout.on_inconclusive chose. */
export function inconclusiveLine(s: RolloutStatus, then: 'rollback' | 'proceed'): string {
  return (
    `step ${s.step} still not decided after ${(s.maxStepTimeMs / 1000).toFixed(1)} s: ` +
    `${then === 'proceed' ? 'going on' : 'rolling back'} (rollout.on_inconclusive: ${then})`
  );
}
