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
  /** How long a step may run while its judgement is "not yet" (default: 3x stepTimeMs). */
  maxStepTimeMs?: number;
}

/** What a step's judge made of one figure: pass, fail, not yet (the interval straddles the limit), or not judged. */
export type FigureOutcome = 'pass' | 'fail' | 'unsure' | 'unjudged';

/** One figure judged: a ratio to the old version, a percentile against a target, or the error rate. */
export interface FigureCall {
  /** "p50", "p95", "p99", "errors". */
  figure: string;
  /** Against the old version (a ratio), a profile target (ms) or the allowed error rate (fraction). */
  against: 'old' | 'target' | 'error-rate';
  /** The point figure: new/old ratio, ms, or error rate. */
  estimate: number;
  /** Its interval (equal to estimate when unjudged). */
  low: number;
  high: number;
  /** The limit it is judged against: 1 + max regression, the target in ms, or the allowed rate. */
  allowed: number;
  outcome: FigureOutcome;
  /** Why unjudged (too few samples), or what the interval compared. */
  note?: string;
}

/** A step's judgement: fail if any figure failed, not yet if any straddles its limit or too few were judged. */
export interface StepJudgement {
  outcome: 'pass' | 'fail' | 'unsure';
  /** Two-sided confidence of the intervals (0.95 at a step's end, 0.99 during it). */
  confidence: number;
  calls: FigureCall[];
  /** Seconds of traffic (windows) behind the judgement, and each version's samples. */
  seconds: number;
  samples: { old: number; new: number };
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
  kind:
    | 'started'
    | 'replicas'
    | 'warmup'
    | 'step'
    | 'passed'
    | 'not-yet'
    | 'inconclusive'
    | 'rollback'
    | 'completed'
    | 'rolled-back'
    | 'abort';
  message: string;
  /** The step (1-based) and the new version's share of traffic in percent. */
  step?: number;
  percent?: number;
  figures?: { old: VersionFigures; new: VersionFigures };
  /** The intervals behind a judged step (passed, not yet, inconclusive, rollback). */
  judgement?: StepJudgement;
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
  /** How long a step may run while its judgement is "not yet", then `onInconclusive` decides. */
  maxStepTimeMs: number;
  /** The profile's `rollout.on_inconclusive`. */
  onInconclusive: 'rollback' | 'proceed';
  /** Traffic weight of each version now, by version number. */
  weights: Record<string, number>;
  /**
   * The new version's replicas the step in progress routes to, of those started: the rest are held
   * out of routing (warm) so both versions' replicas carry about the same rate each.
   */
  routed?: { replicas: number; of: number };
  /** Why it rolled back, when it did. */
  reason?: string;
  decisions: RolloutDecision[];
}

/** True once the rollout has ended one way or the other. */
export function rolloutEnded(s: RolloutStatus): boolean {
  return s.phase === 'completed' || s.phase === 'rolled-back';
}
