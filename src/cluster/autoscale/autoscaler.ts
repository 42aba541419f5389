// Autoscaling policy (control plane, pure core), after Ray Serve's default policy: a pure function of
// a context (current replicas, timed load samples, config, now, the delays' state). The signal is
// requests in flight at the replicas plus requests queued at the gateway, averaged over the look-back
// window; desired = ceil(signal / target per replica), clamped to [min, max], applied once the same
// direction has held for the upscale or downscale delay. The latency guard (latency-guard.ts) adds one
// replica at a time while the gateway's p99 over the window is over target with requests waiting. The
// inputs are in context.ts. The controller and the simulator run this same code.
import type { Clock } from '../../common/clock.js';
import type { AutoscalingConfig, LoadSample, PolicyContext, PolicyState } from './context.js';
import { GUARD_MIN_REQUESTS, GUARD_RELEASE_SHARE, guardView, type GuardView } from './latency-guard.js';

/** One decision with the numbers behind it (shown by `serve status`, logged as one JSON line). */
export interface ScalingDecision {
  /** The replica count to apply now, or undefined to keep the current one. */
  applyReplicas: number | undefined;
  /** What the policy would like right now, before the delay. */
  desiredReplicas: number;
  /** Average of in flight + queued over the window. */
  signal: number;
  averageInFlight: number;
  averageQueued: number;
  samples: number;
  guard?: GuardView;
  /** up / down: waiting out a delay; apply: changing now; steady: desired = current; none: no samples. */
  action: 'apply' | 'up' | 'down' | 'steady' | 'none';
  /** One sentence for people. */
  reason: string;
  state: PolicyState;
}

/** The clamped replica count for a signal; pure. */
export function desiredReplicas(cfg: AutoscalingConfig, signal: number): number {
  const raw = Math.ceil(signal / cfg.targetOngoingRequests - 1e-9);
  return Math.min(cfg.maxReplicas, Math.max(cfg.minReplicas, raw));
}

/** Decides from a context; pure (the returned state is the next one). */
export function decide(ctx: PolicyContext): ScalingDecision {
  const { config: cfg, nowMs, currentReplicas: current } = ctx;
  const recent = ctx.samples.filter((s) => s.atMs <= nowMs && nowMs - s.atMs <= cfg.lookbackMs);
  if (recent.length === 0) {
    return {
      applyReplicas: undefined,
      desiredReplicas: current,
      signal: 0,
      averageInFlight: 0,
      averageQueued: 0,
      samples: 0,
      action: 'none',
      reason: 'no load samples in the look-back window',
      state: ctx.state,
    };
  }
  const averageInFlight = recent.reduce((a, s) => a + s.inFlight, 0) / recent.length;
  const averageQueued = recent.reduce((a, s) => a + s.queued, 0) / recent.length;
  const signal = averageInFlight + averageQueued;
  const byCount = desiredReplicas(cfg, signal);
  const guard = guardView(ctx, recent);
  let desired = byCount;
  let why =
    `signal ${signal.toFixed(1)} (in flight ${averageInFlight.toFixed(1)} + queued ` +
    `${averageQueued.toFixed(1)}) / ${cfg.targetOngoingRequests} per replica wants ` +
    `${byCount}`;
  if (guard?.fires && current + 1 > desired) {
    desired = Math.min(cfg.maxReplicas, current + 1);
    why = `latency guard: ${guard.why}, wants ${desired} (the count alone wants ${byCount})`;
  } else if (
    cfg.latencyGuard &&
    desired < current &&
    guard?.p99Ms !== undefined &&
    guard.requests >= GUARD_MIN_REQUESTS &&
    guard.p99Ms > GUARD_RELEASE_SHARE * cfg.latencyGuard.p99TargetMs
  ) {
    // Hysteresis: replicas go only once latency is clearly under target, so the guard's next
    // scale-up is not undone by the count and redone by the guard, over and over.
    desired = current;
    why +=
      `, but p99 ${guard.p99Ms.toFixed(1)}ms is above ${GUARD_RELEASE_SHARE * 100}% ` +
      `of ${cfg.latencyGuard.p99TargetMs}ms: holding ${current}`;
  }
  return withDelays(ctx, { desired, why, signal, averageInFlight, averageQueued, samples: recent.length, guard });
}

/** Applies `desired` only once its direction has held for that direction's delay. */
function withDelays(
  ctx: PolicyContext,
  d: {
    desired: number;
    why: string;
    signal: number;
    averageInFlight: number;
    averageQueued: number;
    samples: number;
    guard?: GuardView;
  },
): ScalingDecision {
  const { nowMs, currentReplicas: current, config: cfg } = ctx;
  const base = {
    desiredReplicas: d.desired,
    signal: d.signal,
    averageInFlight: d.averageInFlight,
    averageQueued: d.averageQueued,
    samples: d.samples,
    guard: d.guard,
  };
  if (d.desired === current) {
    return {
      ...base,
      applyReplicas: undefined,
      action: 'steady',
      reason: `${d.why}: steady at ${current}`,
      state: { lastUpMs: ctx.state.lastUpMs },
    };
  }
  const up = d.desired > current;
  const since = up ? (ctx.state.upSinceMs ?? nowMs) : (ctx.state.downSinceMs ?? nowMs);
  const delayMs = up ? cfg.upscaleDelayMs : cfg.downscaleDelayMs;
  const heldMs = nowMs - since;
  if (heldMs >= delayMs) {
    const state: PolicyState = { lastUpMs: up ? nowMs : ctx.state.lastUpMs };
    return {
      ...base,
      applyReplicas: d.desired,
      action: 'apply',
      reason:
        `${d.why}: scaling ${up ? 'up' : 'down'} ${current} -> ${d.desired} (held ` + `${(heldMs / 1000).toFixed(1)}s)`,
      state,
    };
  }
  // A change of direction starts the other direction's wait from now.
  const state: PolicyState = up
    ? { upSinceMs: since, lastUpMs: ctx.state.lastUpMs }
    : { downSinceMs: since, lastUpMs: ctx.state.lastUpMs };
  const left = ((delayMs - heldMs) / 1000).toFixed(1);
  return {
    ...base,
    applyReplicas: undefined,
    action: up ? 'up' : 'down',
    reason:
      `${d.why}: ${current} -> ${d.desired} in ${left}s unless it changes (` + `${up ? 'upscale' : 'downscale'}_delay)`,
    state,
  };
}

/**
 * The policy with its memory, on a clock: keeps the window's samples and the delays' state, and
 * decides from them. One per deployment; the controller's loop and the simulator both use it.
 */
export class Autoscaler {
  private samples: LoadSample[] = [];
  private state: PolicyState = {};

  constructor(
    public config: AutoscalingConfig,
    private readonly clock: Clock,
  ) {
    if (!(config.targetOngoingRequests > 0)) throw new RangeError('targetOngoingRequests must be > 0');
  }

  /** Records a sample measured at `atMs` (default now, from the clock). */
  observe(sample: Omit<LoadSample, 'atMs'> | number, atMs = this.clock.nowMs()): void {
    const now = atMs;
    const s = typeof sample === 'number' ? { inFlight: sample, queued: 0 } : sample;
    this.samples.push({ ...s, atMs: now });
    this.samples = this.samples.filter((x) => now - x.atMs <= this.config.lookbackMs);
  }

  /**
   * Decides given the replica count the controller runs now, as of `atMs` (default now, from the
   * clock); undefined before any sample in the window.
   */
  decide(currentReplicas: number, atMs = this.clock.nowMs()): ScalingDecision | undefined {
    const d = decide({
      nowMs: atMs,
      currentReplicas,
      samples: this.samples,
      config: this.config,
      state: this.state,
    });
    this.state = d.state;
    return d.action === 'none' ? undefined : d;
  }

  /** New settings (a schedule switch): pending delays start again; the samples stay. */
  reconfigure(config: AutoscalingConfig): void {
    this.config = config;
    this.reset();
  }

  /** Forgets pending decisions (after a manual scale or a switch, so it judges afresh). */
  reset(): void {
    this.state = { lastUpMs: this.state.lastUpMs };
  }
}
