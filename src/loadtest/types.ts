// The plain data of a load run (loadtest): options in, progress out, RunResult and GateReport as
// the stable results every output format renders. Field names are documented in the README.
import type { SloTargets } from '../common/wire.js';
import type { LatencySummary } from './histogram.js';
import type { SecondRow } from './series.js';

export type { LatencySummary } from './histogram.js';

export type { SloTargets, SecondRow };

/** How arrivals are spaced in open-loop mode. */
export type ArrivalKind = 'constant' | 'poisson';

/** A rate ramp: `from`, `from+by`, ... up to `to` requests per second, each held `stepMs`. */
export interface RampSpec {
  fromPerSec: number;
  toPerSec: number;
  byPerSec: number;
  stepMs: number;
}

/** Everything `runBench` needs; durations in milliseconds, rates in requests per second. */
export interface BenchOptions {
  /** Base URL of an Open Inference Protocol v2 server, e.g. http://127.0.0.1:8000 */
  url: string;
  /** Model name; undefined = the only model the server lists. */
  model?: string;
  modelVersion?: string;
  /** Open loop (default): arrivals on a schedule. Closed loop: `concurrency` loops back to back. */
  mode: 'open' | 'closed';
  /** Open loop: requests per second (ignored when `ramp` is set). */
  ratePerSec: number;
  ramp?: RampSpec;
  arrival: ArrivalKind;
  /** Closed loop: number of concurrent request loops. */
  concurrency: number;
  durationMs: number;
  /** Load applied before measuring; not recorded. */
  warmupMs: number;
  /** Most open connections (each carries one request at a time). */
  connections: number;
  /** Total per-request limit from send to the end of the response, connecting included. */
  timeoutMs: number;
  /** A request sent more than this after its intended time counts as sent late. */
  lateThresholdMs: number;
  /** Triton binary tensor extension instead of JSON tensors. */
  binary: boolean;
  /** Check each response's output shapes against the model metadata. */
  checkShape: boolean;
  /** JSON-lines file of inference request bodies to replay instead of generated payloads. */
  requestsFile?: string;
  /** Seed of the random payloads and of Poisson arrivals. */
  seed: number;
  /** Targets used to judge each ramp step (the knee is the last rate meeting them). */
  targets?: SloTargets;
  /** Worker threads sharing the load (default 1: everything on the calling thread's loop). */
  workers?: number;
  /** Interval of progress callbacks and HDR log intervals. */
  intervalMs?: number;
  /** Sent as `Authorization: Bearer <token>` with every request; never part of a result. */
  token?: string;
  /** PEM CA certificate(s) trusted for https:// instead of the system's (--ca FILE). */
  ca?: string;
}

/** Counts of one measured phase. */
export interface RequestCounts {
  /** Arrivals due in the measured window (open loop) or started (closed loop). */
  scheduled: number;
  /** Requests that left the client. */
  sent: number;
  /** Requests answered 2xx and passing the checks. */
  ok: number;
  /** Requests that failed, whatever the class (not-sent included). */
  errors: number;
  /** Requests still waiting for a connection when the run ended: never sent. */
  notSent: number;
  /** Requests sent more than `lateThresholdMs` after their intended time. */
  sentLate: number;
}

/** One rate of a ramp. */
export interface StepResult {
  requestedPerSec: number;
  achievedPerSec: number;
  durationMs: number;
  requests: RequestCounts;
  errorRate: number;
  latency: LatencySummary;
  service: LatencySummary;
  /** Whether this step met the targets given for the ramp. */
  passed: boolean;
}

/** The whole result of `serve bench`, stable field names (schemaVersion 1). */
/** What the answers of one model version saw. */
export interface VersionResult {
  ok: number;
  errors: number;
  latency: LatencySummary;
}

export interface RunResult {
  schemaVersion: 1;
  startedAt: string;
  target: { url: string; model: string; modelVersion?: string; binary: boolean };
  mode: 'open' | 'closed';
  arrival: ArrivalKind | null;
  /** Measured time of the reported phase (after warmup). */
  durationMs: number;
  warmupMs: number;
  connections: number;
  concurrency: number | null;
  rate: {
    /** Requested rate; null in closed-loop mode. */
    requestedPerSec: number | null;
    sentPerSec: number;
    /** Successful responses per second. */
    achievedPerSec: number;
  };
  requests: RequestCounts;
  lateThresholdMs: number;
  /**
   * Error counts by class: `http_503`, `timeout`, `connection`, `bad_response`, `not_sent`, and
   * `interrupted` (in flight when the run was stopped).
   */
  errorsByClass: Record<string, number>;
  /** errors / (ok + errors), `interrupted` requests left out of both. */
  errorRate: number;
  /** Latency from the intended send time (what a user felt; corrects coordinated omission). */
  latency: LatencySummary;
  /** Service time from the actual send to the end of the response. */
  service: LatencySummary;
  /** Compressed HDR histograms (microseconds), base64, for merging and baselines. */
  histograms: { latencyUs: string; serviceUs: string };
  /**
   * Per second of the measured phase (of every ramp step, one after another): requests sent,
   * successes and failures finished, and the latency percentiles of that second's successes.
   */
  series: SecondRow[];
  /**
   * By the model version a serve gateway named in each answer (X-Model-Version), when any did: its
   * successes, failures and latency (during a rollout, each version's share and speed).
   */
  byVersion?: Record<string, VersionResult>;
  /** Ramp only: each rate tried, and the highest that met the targets. */
  steps?: StepResult[];
  knee?: { ratePerSec: number; achievedPerSec: number } | null;
  /** True when stopped by Ctrl-C or an abort signal before the end. */
  interrupted: boolean;
  /**
   * The measured phase's per-second latency histograms (compressed HDR, microseconds, base64), in
   * order: what a later `--baseline` run resamples for its ratio intervals. Absent on a ramp.
   */
  windows?: { intervalMs: number; latencyUs: string[] };
}

/** What the live progress line shows, once a second. */
export interface ProgressSnapshot {
  phase: 'warmup' | 'run' | 'drain';
  elapsedMs: number;
  totalMs: number;
  requestedPerSec: number | null;
  /** Successful responses per second over the last interval. */
  currentPerSec: number;
  p99MsSoFar: number;
  errors: number;
  inFlight: number;
  /** Requests waiting for a free connection. */
  backlog: number;
  sentLate: number;
  /** Ramp step index (0-based) and count, when ramping. */
  step?: { index: number; count: number };
}

/** One interval of the HDR log (histogram of intended-time latency, microseconds). */
export interface IntervalSample {
  /** Milliseconds since the measured phase began. */
  startMs: number;
  endMs: number;
  /** Compressed HDR histogram, base64. */
  latencyUs: string;
  maxUs: number;
  /** The same histogram's non-empty buckets (ms), when read on this thread: the statistics' windows without decoding. */
  buckets?: { valuesMs: number[]; counts: number[] };
}

/** `successes` is implicit: it is checked (and fails) only when no request succeeded. */
export type GateMetric =
  'p50' | 'p90' | 'p95' | 'p99' | 'p999' | 'max' | 'errorRate' | 'minRps' | 'throughput' | 'successes';

/** One line of the verdict: a target or a baseline comparison. */
export interface GateCheck {
  kind: 'target' | 'baseline';
  metric: GateMetric;
  /** Measured value: milliseconds for latencies, a fraction for errorRate, req/s for rates. */
  actual: number;
  /** Threshold: the target, or for baselines the baseline value times (1 ± maxRegression). */
  limit: number;
  /** Baseline value (baseline checks only). */
  baseline?: number;
  passed: boolean;
  /** One line for people, e.g. "p99 123.0ms > 100ms". */
  message: string;
}

/** The verdict over all targets and baseline comparisons. */
export interface GateReport {
  passed: boolean;
  checks: GateCheck[];
}
