// One replica as the gateway routes to it (gateway, data plane): its pool, in-flight count and the
// passive-ejection bookkeeping. Time comes from an injected Clock so ejection is tested exactly.
import type { Dispatcher } from 'undici';
import type { Clock } from '../common/clock.js';
import type { FramePool } from './frame-pool.js';
import { TryWatch } from './per-try/try-watch.js';

/** How a replica is currently seen by the router. */
export type UpstreamState = 'ready' | 'not_ready' | 'ejected';

/** Settings of passive ejection. */
export interface EjectionPolicy {
  /** Consecutive failures that eject a replica. */
  ejectAfterFailures: number;
  /** How long an ejected replica is left out before it is tried again, in milliseconds. */
  ejectForMs: number;
}

/** A replica endpoint plus what the gateway knows about it. Mutable; owned by the UpstreamSet. */
export class Upstream {
  /** Requests sent to this replica and not yet finished. */
  inflight = 0;
  /** Failures in a row (connection errors, hangs, try timeouts, 5xx other than 503/504); reset by a success. */
  consecutiveFailures = 0;
  /** Responses received from this replica so far, any status: a replica that completes nothing is hung. */
  completed = 0;
  /** Clock time before which the replica is ejected; 0 when never ejected. */
  ejectedUntilMs = 0;
  /** Times this replica was ejected. */
  ejections = 0;
  /** Set once the replica left the set; its pool closes after its in-flight requests finish. */
  removed = false;
  /** Its tries in flight and its recent latency: a try its silence outlasts is retried elsewhere (try-watch.ts). */
  readonly tries = new TryWatch();
  /** Its frame socket's pool (a local replica's): infer requests go there, everything else over HTTP. */
  frames: FramePool | undefined = undefined;

  constructor(
    readonly id: string,
    readonly url: string,
    /** The controller's view (probes passing, not draining). */
    public ready: boolean,
    readonly pool: Dispatcher,
    /** A replica of ours, or another OIP v2 server (gateway/migration.ts): never cached, never sent the cluster token. */
    readonly kind: 'replica' | 'external' | 'fallback' = 'replica',
    /** The model version it serves, when the controller said. */
    readonly version?: string,
    /**
     * The digest of the model bytes it loaded: from the controller (the replica's ready event), else
     * learned from its answers' x-serve-model-digest. The response cache keys by it.
     */
    public modelDigest?: string,
  ) {}

  /** Ready, not removed and not ejected at `nowMs`. */
  isAvailable(nowMs: number): boolean {
    return this.ready && !this.removed && nowMs >= this.ejectedUntilMs;
  }

  state(nowMs: number): UpstreamState {
    if (!this.ready) return 'not_ready';
    return nowMs < this.ejectedUntilMs ? 'ejected' : 'ready';
  }

  /**
   * Counts one failure; returns true when this failure ejected the replica. After an ejection the
   * replica comes back on probation: one more failure ejects it again, one success clears it.
   * With `mayEject` false the failure is counted but never ejects (the gateway's last replica).
   */
  recordFailure(clock: Clock, policy: EjectionPolicy, mayEject = true): boolean {
    const nowMs = clock.nowMs();
    if (nowMs < this.ejectedUntilMs) return false; // late failures of an already ejected replica
    this.consecutiveFailures++;
    if (this.consecutiveFailures < policy.ejectAfterFailures || !mayEject) return false;
    this.ejectedUntilMs = nowMs + policy.ejectForMs;
    this.consecutiveFailures = Math.max(0, policy.ejectAfterFailures - 1);
    this.ejections++;
    return true;
  }

  /** Counts one answered request: the replica is healthy again. */
  recordSuccess(): void {
    this.consecutiveFailures = 0;
  }
}
