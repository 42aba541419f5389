// A rollout's world on a manual clock, for the runner's tests (rollout-canary-scale, rollout-rejoin):
// 2 replicas of version 1; a rollout adds 2 of version 2. Its gateway carries 1,000 req/s split by
// the weights it was told, spread evenly over each version's routed replicas, and answers by a
// latency shape per version. Optionally a new replica held out of routing goes cold (idle), and
// answers with a slower shape for its first seconds back in routing unless it was warmed again.
import { ManualClock } from '../../src/common/clock.js';
import type { ReplicaStatus } from '../../src/common/cluster-status.js';
import type { RolloutHost } from '../../src/cluster/rollout/runner-host.js';

/** Cumulative share of a version's requests at or under each bound (10, 20, 50, 100 ms, +Inf). */
const BOUNDS_S = ['0.01', '0.02', '0.05', '0.1', '+Inf'];
export const SAME = [0.1, 0.3, 0.8, 1, 1];
export const SLOWER = [0, 0.05, 0.3, 0.8, 1];
/** A cold replica's first answers: most over 100 ms. */
export const COLD = [0, 0, 0.05, 0.2, 1];

export interface WorldOptions {
  /** Version 2's shape when warm. */
  newShape: number[];
  /** The host warms: each call takes this long on the clock, then the replicas it named are warm. */
  warmMs?: number;
  /** A rejoin warmup (of named replicas) that never ends by itself (it ends when told to stop). */
  warmHangs?: boolean;
  /** A held new replica goes cold; routed again unwarmed, it answers COLD for this long. */
  coldMs?: number;
}

export interface WarmCall {
  ids?: readonly string[];
  atMs: number;
  endedAtMs?: number;
  /** The replicas the gateway held when the warmup began (a warmed replica takes no gateway traffic). */
  heldThen: readonly string[];
  stop?: AbortSignal;
}

export function world(o: WorldOptions | number[]) {
  const opts: WorldOptions = Array.isArray(o) ? { newShape: o } : o;
  const clock = new ManualClock(0);
  const replicas: ReplicaStatus[] = [
    { id: 'r1', state: 'ready', version: 1, restarts: 0 },
    { id: 'r2', state: 'ready', version: 1, restarts: 0 },
  ];
  const calls: Array<{ weights?: Record<string, number>; held: readonly string[] }> = [];
  /** When each call of `calls` was made. */
  const callsAtMs: number[] = [];
  const warms: WarmCall[] = [];
  let weights: Record<string, number> = {};
  let held: readonly string[] = [];
  let since = 0;
  /** Requests answered by shape, per version. */
  const counts = new Map<string, Map<number[], number>>();
  /** New replicas idle since their warmup (held), and until when a cold one routed answers COLD. */
  const idle = new Set<string>();
  const coldUntil = new Map<string, number>();
  const changed: Array<() => void> = [];
  const add = (v: string, shape: number[], n: number) => {
    const m = counts.get(v) ?? new Map<number[], number>();
    m.set(shape, (m.get(shape) ?? 0) + n);
    counts.set(v, m);
  };
  // The requests each version took since the last change, each routed replica an equal part.
  const flow = () => {
    const now = clock.nowMs();
    for (const [v, w] of Object.entries(weights)) {
      const n = (now - since) * w * 0.01;
      const routed = replicas.filter((r) => String(r.version) === v && r.state === 'ready' && !held.includes(r.id));
      for (const r of routed) {
        const shape = v === '1' ? SAME : (coldUntil.get(r.id) ?? -1) > since ? COLD : opts.newShape;
        add(v, shape, n / Math.max(1, routed.length));
      }
    }
    since = now;
  };
  const host: RolloutHost = {
    clock,
    emit: () => undefined,
    current: () => ({ model: 'm', version: 1, slo: {} }),
    checkModel: async () => undefined,
    replicas: () => replicas.map((r) => ({ ...r })),
    replicasChanged: () => new Promise<void>((resolve) => changed.push(resolve)),
    desired: () => 2,
    setReplicas: () => undefined,
    changeVersion: (version, add, retire = 0) => {
      for (let i = 0; i < add; i++)
        replicas.push({ id: `r${replicas.length + 1}`, state: 'ready', version, restarts: 0 });
      for (const r of replicas.filter((x) => x.version === version).slice(0, retire)) r.state = 'draining';
      for (const c of changed.splice(0)) c();
    },
    setWeights: async (w, h = []) => {
      flow();
      weights = w ?? {};
      if (opts.coldMs !== undefined) {
        for (const id of h) idle.add(id);
        for (const id of [...idle].filter((id) => !h.includes(id))) {
          idle.delete(id);
          coldUntil.set(id, clock.nowMs() + opts.coldMs);
        }
      }
      held = [...h];
      calls.push({ ...(w ? { weights: { ...w } } : {}), held: [...h] });
      callsAtMs.push(clock.nowMs());
    },
    gatewayMetrics: async () => {
      flow();
      const lines: string[] = [];
      for (const v of ['1', '2']) {
        const byShape = [...(counts.get(v) ?? new Map<number[], number>())];
        BOUNDS_S.forEach((le, i) => {
          const n = Math.floor(byShape.reduce((a, [shape, k]) => a + k * shape[i]!, 0));
          lines.push(`serve_gateway_version_request_duration_seconds_bucket{le="${le}",version="${v}"} ${n}`);
        });
      }
      return lines.join('\n');
    },
    adopt: () => undefined,
  };
  if (opts.warmMs !== undefined || opts.warmHangs)
    host.warm = (_version, ids, stop) => {
      const call: WarmCall = { ...(ids ? { ids: [...ids] } : {}), atMs: clock.nowMs(), heldThen: [...held], stop };
      warms.push(call);
      return new Promise<string>((resolve) => {
        const done = () => {
          call.endedAtMs = clock.nowMs();
          for (const id of ids ?? []) idle.delete(id);
          resolve(`warmed ${ids?.join(', ') ?? 'all'}`);
        };
        if (opts.warmHangs && ids) stop?.addEventListener('abort', done, { once: true });
        else clock.setTimer(done, opts.warmMs ?? 0);
      });
    };
  return { clock, host, calls, callsAtMs, replicas, warms };
}

/** Runs the manual clock on by `ms` in 50 ms ticks, letting the runner's promises settle between. */
export async function runFor(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    clock.advance(50);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }
}

export const request = {
  model: 'm',
  version: 2,
  stepsPercent: [25, 50, 100],
  stepTimeMs: 6000,
  maxRegression: 0.2,
};
