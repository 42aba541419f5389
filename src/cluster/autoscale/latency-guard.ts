// The autoscaler's latency guard (control plane, pure): whether the gateway's p99 over the window asks
// for one more replica now, and the thresholds of its hysteresis.
import { deltaCount, deltaQuantileMs, mergeDeltas } from './latency-window.js';
import type { LoadSample, PolicyContext } from './context.js';

/** What the latency guard saw: `fires` says it asks for one more replica now. */
export interface GuardView {
  p99Ms?: number;
  /** Requests the window's p99 is computed from. */
  requests: number;
  /** Average requests waiting at the gateway and in the replicas' queues over the window. */
  waiting: number;
  fires: boolean;
  /** Why it does not fire, when it does not. */
  why: string;
}

/** Fewest requests in the window for its p99 to mean something (one slow request is not a trend). */
export const GUARD_MIN_REQUESTS = 20;
/** Below this share of the p99 target the guard lets replicas go again (hysteresis). */
export const GUARD_RELEASE_SHARE = 0.8;

/** The latency guard's view of the window; pure. */
export function guardView(ctx: PolicyContext, recent: readonly LoadSample[]): GuardView | undefined {
  const g = ctx.config.latencyGuard;
  if (!g) return undefined;
  const window = mergeDeltas(recent.map((s) => s.latency));
  const requests = deltaCount(window);
  const p99Ms = deltaQuantileMs(window, 0.99);
  const waiting = recent.reduce((a, s) => a + s.queued + (s.replicaQueued ?? 0), 0) / Math.max(1, recent.length);
  const view = { p99Ms, requests, waiting };
  const since = ctx.state.lastUpMs === undefined ? Infinity : ctx.nowMs - ctx.state.lastUpMs;
  if (requests < GUARD_MIN_REQUESTS || p99Ms === undefined)
    return { ...view, fires: false, why: `only ${requests} requests in the window (needs ${GUARD_MIN_REQUESTS})` };
  if (p99Ms <= g.p99TargetMs)
    return { ...view, fires: false, why: `p99 ${p99Ms.toFixed(1)}ms within ${g.p99TargetMs}ms` };
  if (waiting < 1)
    return {
      ...view,
      fires: false,
      why: `p99 ${p99Ms.toFixed(1)}ms over ${g.p99TargetMs}ms but nothing waits (a slow ` + `model, not load)`,
    };
  if (since < ctx.config.lookbackMs)
    return {
      ...view,
      fires: false,
      why:
        `p99 over target, but the last scale-up was ${Math.round(since)}ms ago: waiting ` +
        `for a window measured after it`,
    };
  if (ctx.currentReplicas >= ctx.config.maxReplicas)
    return { ...view, fires: false, why: `p99 over target, but already at max ${ctx.config.maxReplicas}` };
  return {
    ...view,
    fires: true,
    why: `p99 ${p99Ms.toFixed(1)}ms over ${g.p99TargetMs}ms with ${waiting.toFixed(1)} ` + `requests waiting`,
  };
}
