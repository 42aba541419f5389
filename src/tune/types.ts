// The plain data of `serve tune` (tune): a configuration, one measurement of it at one rate, a
// candidate with its measurements, and the TuneReport every output (table, --json, --html) renders.
// Field names are documented in the README (schemaVersion 1: fields are only added).
import type { SloTargets } from '../common/wire.js';

/** How sure a measurement is of its targets: met or missed with confidence, or neither. */
export type Confidence = 'met' | 'missed' | 'unsure';

/** One point of the search space. */
export interface TuneConfig {
  maxBatchSize: number;
  batchWaitMs: number;
  replicas: number;
  /** ONNX Runtime threads per replica; each replica asks for as many CPUs. */
  threads: number;
}

/** The values tried on each axis (sorted, distinct). */
export interface TuneSpace {
  batchSizes: number[];
  batchWaitsMs: number[];
  replicas: number[];
  threads: number[];
}

/** cost: the cheapest configuration meeting every target at the target rate; throughput: the highest rate within the targets. */
export type Objective = 'cost' | 'throughput';

/** How a run ended. */
export type Stopped = 'done' | 'budget' | 'interrupted';

/** Latency of a measurement in milliseconds (from the intended send time, as `serve bench` measures it). */
export interface ProbeLatency {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** One measurement of one configuration at one requested rate, over its last (stable) windows. */
export interface Probe {
  ratePerSec: number;
  /** Successful answers per second. */
  achievedPerSec: number;
  latency: ProbeLatency;
  errorRate: number;
  /** Every target met, and at least 90% of the requested rate answered. */
  passed: boolean;
  /** What was missed, one message each ("p99 130ms > 100ms"). */
  missed: string[];
  /** The worst ratio of a measured value to its target (<= 1 when everything passed); ranks near misses. */
  score: number;
  /** The last three windows agreed within 10% (or 1 ms) on rate and p99. */
  stable: boolean;
  windows: number;
  /** Stopped after two windows that answered under 80% of the rate (the replicas could not keep up). */
  overloaded: boolean;
  durationMs: number;
  /** Each target checked, with its interval where the kept windows allow one (absent on older reports). */
  checks?: ProbeCheck[];
  /** Windows left out because the load generator itself fell behind in them (its self-audit); counted in `windows`. */
  droppedWindows?: number;
  /** The self-audit's reason for the last window left out. */
  droppedReason?: string;
  /** Measurements at this rate whose windows this one pools (1, or more after re-measuring an unsure one). */
  measurements?: number;
}

/** One target of a measurement: what was measured, the limit, and (percentiles) the interval. */
export interface ProbeCheck {
  /** p50 ... p999, max, errorRate, minRps, successes, or `rate` (at least 90% of the requested rate answered). */
  metric: string;
  /** Milliseconds (latency), a fraction (errorRate) or req/s (minRps, rate). */
  actual: number;
  limit: number;
  /** The measured value over its limit (a floor: the limit over the value); above 1 missed. */
  ratio: number;
  /** What a miss says ("p99 130ms > 100ms"). */
  message: string;
  /** The interval of `actual` (block bootstrap over the kept per-second windows); absent: point estimate only. */
  low?: number;
  high?: number;
  /** Why a percentile has only its point estimate (too few samples or seconds). */
  note?: string;
}

/** What became of a point of the space. */
export type CandidateStatus = 'measured' | 'pruned' | 'excluded' | 'skipped';

/** One configuration and what the search learned about it. */
export interface Candidate {
  config: TuneConfig;
  status: CandidateStatus;
  /** Why it was pruned, excluded or skipped. */
  note?: string;
  /** Every measurement, in the order taken. */
  probes: Probe[];
  /** The measurement that stands for it: at the target rate (cost), or at its knee (throughput). */
  result?: Probe;
  passed: boolean;
  /** Throughput: the highest rate that met the targets (null: not even the lowest tried). */
  kneePerSec?: number | null;
  /** Throughput: the rate it was shown to miss when it was only compared with the best so far. */
  belowPerSec?: number;
  cost: CostSummary;
  /** How sure its standing measurement is (decision.ts), once the run is over. */
  confidence?: Confidence;
  /** The figure that decided `confidence`: "p99 41.2 ms [38.0, 45.1] < 100 ms", "unstable (5 windows)". */
  judgedBy?: string;
}

/** What a configuration costs. Prices come from the profile's `cost` section. */
export interface CostSummary {
  replicas: number;
  cpus: number;
  gpus: number;
  memoryGiB: number;
  /** Price per hour (null without prices). */
  perHour: number | null;
  /** Price per million predictions at the rate it carries (null without prices or a rate). */
  perMillion: number | null;
}

/** The chosen configuration. */
export interface Recommendation extends TuneConfig {
  objective: Objective;
  /** The rate it carries: the target rate (cost) or its knee (throughput). */
  ratePerSec: number;
  latency: ProbeLatency;
  cost: CostSummary;
}

/** Everything `serve tune` found; `--json` prints it. */
export interface TuneReport {
  schemaVersion: 1;
  startedAt: string;
  profile: { name: string; path: string };
  objective: Objective;
  /** replica: one replica's throughput; cluster: the whole cluster's (throughput objective only). */
  scope: 'replica' | 'cluster';
  /** Cost objective: the rate every target is checked at. */
  ratePerSec: number | null;
  targets: SloTargets;
  space: TuneSpace;
  exhaustive: boolean;
  stopped: Stopped;
  elapsedMs: number;
  budgetMs: number | null;
  /** Measurement settings: window length, windows at most, warmup before each measurement. */
  windowMs: number;
  maxWindows: number;
  warmupMs: number;
  /** Null when no candidate met every target. */
  recommendation: Recommendation | null;
  /** One sentence: why the recommendation, or what the closest candidate missed. */
  reason: string;
  /** When nothing passed: the candidate nearest to meeting the targets, and what it missed. */
  closest: (TuneConfig & { missed: string[] }) | null;
  /** Every point of the space, ranked: the recommendation first, then passing, failing, pruned, excluded. */
  candidates: Candidate[];
  /** Configurations measured (not pruned, excluded or skipped). */
  measured: number;
  /** Measurements taken (each at one rate). */
  probes: number;
  /** Problems that did not stop the run (the cluster could not be handed back cleanly). */
  warnings: string[];
}
