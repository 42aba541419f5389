// The supervised child's vocabulary (control plane, pure core): the policy, state, events and actions
// of the transition function in supervised-child.ts, the state of a new child, and hasProcess.
import type { Profile } from '../../profile/types.js';

/** Restart tuning in milliseconds: the profile's `restart` section. */
export type RestartPolicy = Profile['restart'];

/** Everything the machine needs to decide; fixed for a child's life. */
export interface ChildPolicy {
  restart: RestartPolicy;
  /** A start not ready within this is killed and counts as a failure. */
  startupTimeoutMs: number;
  /** Consecutive failed probes of a ready child that make it unhealthy. */
  failureThreshold: number;
  /**
   * Give up at once when the child ends before it was ever ready (the gateway: a taken port or a
   * bad flag will not be better on a retry).
   */
  failFastBeforeFirstReady?: boolean;
}

/** Where a child is in its life; `restarting` waits out a backoff, `failed` the long retry. */
export type ChildPhase =
  'pending' | 'starting' | 'ready' | 'unhealthy' | 'restarting' | 'draining' | 'stopped' | 'failed' | 'lost';

/** A child's whole state; only `transition` makes a new one. */
export interface ChildState {
  readonly phase: ChildPhase;
  /** Launches after the first. */
  readonly restarts: number;
  /** Restarts since the backoff last reset (the exponent of the next delay). */
  readonly attempt: number;
  /** Failure times within the crash-loop window. */
  readonly failureTimesMs: readonly number[];
  /** Failed starts in a row that never became ready (catches children that hang while starting). */
  readonly failedStarts: number;
  readonly everReady: boolean;
  readonly readySinceMs: number | undefined;
  readonly probeFailures: number;
  /** Shown by status: why it is pending, unhealthy, restarting, failed or lost. */
  readonly reason: string | undefined;
  /** Why the current process is being ended, or what it said when it died (its fatal event). */
  readonly failWhy: string | undefined;
  /**
   * How the last process ended badly, in one line: the child's own first error line when it said
   * one (`fatal`), else how it ended. Kept across restarts until the child is ready, so a replica
   * that is `starting` again still says why the last start failed (rollouts report it).
   */
  readonly lastError: string | undefined;
  /** When the armed timer fires (startup timeout, backoff or failed retry). */
  readonly timerAtMs: number | undefined;
  /** Retired (scaled away or shutting down): its end is not a failure. */
  readonly stopping: boolean;
}

export type ChildEvent =
  | { type: 'place' } // a host has room for it: start it
  | { type: 'unplaced'; reason: string } // no host has room: stay pending
  | { type: 'ready' }
  | { type: 'adopted' } // a process a dead controller started, verified and taken over as it is: ready now
  | { type: 'fatal'; error: string } // the child's own last words, kept for the failure reason
  | { type: 'probe'; ok: boolean; error?: string }
  | { type: 'over-limit'; why: string } // a resource limit: drain and replace
  | { type: 'timer'; atMs: number } // the timer armed for `atMs` fired (a stale one is ignored)
  | { type: 'exited'; how: string }
  | { type: 'retire' }
  | { type: 'host-lost'; why: string };

export type ChildAction =
  | { type: 'launch' }
  | { type: 'kill' } // SIGKILL the group: a hung process cannot drain
  | { type: 'drain' } // out of routing first, then SIGTERM and SIGKILL after the drain timeout
  | { type: 'arm'; atMs: number } // the one timer of this child; replaces an armed one
  | { type: 'disarm' }
  | { type: 'routing' } // the set the gateway routes to has changed
  | { type: 'place' } // find it a host again (pending after a failed retry, or lost)
  | { type: 'remove' } // stopped for good: forget it
  | { type: 'report'; level: 'info' | 'warn' | 'error'; kind: string; message: string };

/** A child that has not been placed yet. */
export function initialChild(): ChildState {
  return {
    phase: 'pending',
    restarts: 0,
    attempt: 0,
    failureTimesMs: [],
    failedStarts: 0,
    everReady: false,
    readySinceMs: undefined,
    probeFailures: 0,
    reason: undefined,
    failWhy: undefined,
    lastError: undefined,
    timerAtMs: undefined,
    stopping: false,
  };
}

/** True while a process exists (or is being started) for the child. */
export function hasProcess(s: ChildState): boolean {
  return s.phase === 'starting' || s.phase === 'ready' || s.phase === 'unhealthy' || s.phase === 'draining';
}
