// The rollout's decision log (control plane): each decision is kept in the rollout's status (the
// last few) and sent to the event log, quoting both versions' figures.
import type { RolloutDecision, RolloutStatus, StepJudgement, VersionFigures } from '../../common/rollout.js';
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
