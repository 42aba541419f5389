// What the admin API says about a rollout (common, control plane and clients): the request
// `serve rollout` sends, the figures each step is judged on, and the rollout's state and decisions.

/** POST /rollout: roll the cluster's model out to `version` by these steps. */
export interface RolloutRequest {
  model: string;
  version: number;
  /** Share of traffic for the new version at each step, in percent, ending at 100. */
  stepsPercent: number[];
  stepTimeMs: number;
  /** Fraction: 0.2 allows the new version to be 20% slower than the old one. */
  maxRegression: number;
}

/** One version's figures over one step, from the gateway's per-version histogram. */
export interface VersionFigures {
  /** Requests answered by a replica of this version. */
  count: number;
  /** Of those, answers with status 5xx. */
  errors: number;
  p50Ms?: number;
  p90Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
}

/** A decision of the rollout, with what it was based on (also an event in the controller's log). */
export interface RolloutDecision {
  /** Wall-clock time, ISO 8601. */
  at: string;
  kind: 'started' | 'replicas' | 'step' | 'passed' | 'rollback' | 'completed' | 'rolled-back' | 'abort';
  message: string;
  /** The step (1-based) and the new version's share of traffic in percent. */
  step?: number;
  percent?: number;
  figures?: { old: VersionFigures; new: VersionFigures };
}

export type RolloutPhase = 'starting' | 'stepping' | 'completing' | 'completed' | 'rolling-back' | 'rolled-back';

export interface RolloutStatus {
  model: string;
  fromVersion: number;
  toVersion: number;
  phase: RolloutPhase;
  /** 1-based step in progress (0 while the new replicas start). */
  step: number;
  stepsPercent: number[];
  stepTimeMs: number;
  maxRegression: number;
  /** Traffic weight of each version now, by version number. */
  weights: Record<string, number>;
  /** Why it rolled back, when it did. */
  reason?: string;
  decisions: RolloutDecision[];
}

/** True once the rollout has ended one way or the other. */
export function rolloutEnded(s: RolloutStatus): boolean {
  return s.phase === 'completed' || s.phase === 'rolled-back';
}
