// A rollout step's start (control plane): which of the new version's replicas the step routes to
// (canary-scale.ts), a second warmup of those that rejoin routing after the step before held them
// (idle since their first warmup, so cold again: caches, V8's and ONNX Runtime's state, first
// batches), then the gateway's weights. The runner starts the step's time and windows only after
// this (steps.ts 'routed'), so a rejoining replica's first seconds are warmup requests, sent to it
// directly and never samples, and --step-time and --max-step-time count judged seconds only.
import type { TimerHandle } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import type { RolloutDecision, RolloutStatus } from '../../common/rollout.js';
import { stepRouting, type CanaryRouting } from './canary-scale.js';
import type { RolloutHost } from './runner-host.js';
import { WARM_REQUEST_TIMEOUT_MS, WARMUP } from './warmup.js';

/**
 * The longest a rejoin warmup holds a step's start: the warmup's own limit (5 s) and the one
 * request in flight then. Past it the warmup is told to stop and the step is routed anyway.
 */
export const REJOIN_WARMUP_LIMIT_MS = WARMUP.maxMs + WARM_REQUEST_TIMEOUT_MS;

/** The new replicas `routing` routes that the step before held out of routing (in routing's order). */
export function rejoining(heldBefore: readonly string[], routing: Pick<CanaryRouting, 'routed'>): string[] {
  const held = new Set(heldBefore);
  return routing.routed.filter((id) => held.has(id));
}

/**
 * Starts a step at `percent`: warms the replicas that rejoin routing (those of `heldBefore` it
 * routes; bounded by REJOIN_WARMUP_LIMIT_MS), then sets the step's weights and held replicas
 * (acknowledged by the gateway). Resolves with the routing, or undefined, having routed nothing,
 * when the step ended meanwhile (`current()` false: an abort during the warmup).
 */
export async function routeStep(
  h: RolloutHost,
  s: RolloutStatus,
  percent: number,
  heldBefore: readonly string[],
  current: () => boolean,
  decide: (kind: RolloutDecision['kind'], message: string) => void,
): Promise<CanaryRouting | undefined> {
  const routing = stepRouting(h.replicas(), s.fromVersion, s.toVersion, percent);
  const back = rejoining(heldBefore, routing);
  if (back.length > 0 && h.warm) {
    // Meanwhile traffic stays split as in the step before, with these replicas still held.
    const line = await warmBounded(h, s.toVersion, back);
    if (!current()) return undefined;
    const they = back.length === 1 ? `${back[0]} rejoins` : `${back.join(', ')} rejoin`;
    decide('warmup', `step ${s.step}: ${they} routing, warmed again first: ${line}`);
  }
  if (!current()) return undefined;
  s.weights = { [s.fromVersion]: 100 - percent, [s.toVersion]: percent };
  s.routed = { replicas: routing.routed.length, of: routing.routed.length + routing.held.length };
  await h.setWeights(s.weights, routing.held);
  return routing;
}

/** The host's warmup of `ids`, with how long it took; stopped at REJOIN_WARMUP_LIMIT_MS. */
async function warmBounded(h: RolloutHost, version: number, ids: readonly string[]): Promise<string> {
  const startMs = h.clock.nowMs();
  const stop = new AbortController();
  let timer: TimerHandle | undefined;
  const limit = new Promise<string>((resolve) => {
    timer = h.clock.setTimer(() => {
      stop.abort();
      resolve(`not done within ${REJOIN_WARMUP_LIMIT_MS / 1000} s: stopped, routed anyway`);
    }, REJOIN_WARMUP_LIMIT_MS);
  });
  try {
    const warmed = h.warm!(version, ids, stop.signal).catch((err) => `warmup failed: ${errorMessage(err)}`);
    const line = await Promise.race([warmed, limit]);
    return `${line} (${((h.clock.nowMs() - startMs) / 1000).toFixed(1)} s)`;
  } finally {
    h.clock.clearTimer(timer);
  }
}
