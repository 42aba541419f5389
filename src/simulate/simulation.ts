// What the autoscaling simulator takes and gives (simulate): a profile, a rate trace and a service-time
// model in; per-second figures, the scaling decisions and a summary against the profile's targets out.
import type { Profile } from '../profile/types.js';
import type { ArrivalPattern } from './arrivals.js';
import type { ServiceTimeModel } from './service-time.js';
import type { SimSecond, SimSummary } from './stats.js';
import type { RateTrace } from './trace.js';

export interface SimulationInput {
  profile: Profile;
  trace: RateTrace;
  serviceTime: ServiceTimeModel;
  /** From the decision to add a replica until it is ready, ms. */
  startupMs: number;
  /** Replicas at the start (default the profile's replicas.initial). */
  initialReplicas?: number;
  /**
   * A replica's main-thread time per request outside the session (reading, parsing, answering), ms;
   * one request at a time (default DEFAULT_HANDLING_MS).
   */
  handlingMs?: number;
  /** When each second's requests arrive (default DEFAULT_ARRIVALS). */
  arrivals?: ArrivalPattern;
}

/**
 * The demo model's JSON request (960 numbers) on a replica with a CPU of its own: the replica
 * process's CPU per request at 250 req/s, 0.90 ms, less the 0.16 ms session run
 * (bench/results/replica-handling.md).
 */
export const DEFAULT_HANDLING_MS = 0.75;

/** Requests reach a replica at random instants, not evenly spaced (arrivals.ts). */
export const DEFAULT_ARRIVALS: ArrivalPattern = 'random';

/** One scaling decision the policy applied. */
export interface SimDecision {
  second: number;
  from: number;
  to: number;
  reason: string;
}

/** One sample the policy took: what it read and the signal it decided on. */
export interface SimTick {
  second: number;
  /** Requests in flight at the ready replicas, averaged since the previous sample. */
  inFlight: number;
  /** Requests queued at the gateway, averaged since the previous sample. */
  queued: number;
  /** The policy's signal: in flight + queued averaged over the look-back window. */
  signal: number;
  /** The replica count the signal asks for (before the delays). */
  desired: number;
}

export interface SimulationResult {
  seconds: SimSecond[];
  decisions: SimDecision[];
  /** Every sample of the controller's loop, in order. */
  ticks: SimTick[];
  /** Per minute, against the profile's targets, and the totals. */
  summary: SimSummary;
  /** The inputs that are not in the profile, for reports. */
  startupMs: number;
  handlingMs: number;
  arrivals: ArrivalPattern;
  serviceTime: ServiceTimeModel;
  trace: { source: string; seconds: number };
}
