// How many of the new version's replicas a rollout step routes to (control plane, pure): Argo
// Rollouts' setCanaryScale, chosen so both versions' replicas carry about the same rate each. At a
// 25% step with 2 old and 2 new replicas, all four routed give each new one 12.5% and each old one
// 37.5% (3x apart): the judge would compare a lightly loaded version with a busy one (judge.ts
// LOAD_MATCH). One new replica routed carries 25% against 37.5% (1.5x), and the ratio is judged.
// The other new replicas stay started and warm, out of routing, until a later step needs them.

/** The per-replica rates of the two versions, max/min (1 = equal), at `percent` to `routedNew` of the new replicas. */
export function loadRatio(oldReplicas: number, routedNew: number, percent: number): number {
  const a = (100 - percent) / oldReplicas;
  const b = percent / routedNew;
  if (a <= 0 || b <= 0) return Infinity;
  return Math.max(a / b, b / a);
}

/**
 * The number of new replicas (1..newReplicas) to route `percent` of traffic to, beside
 * `oldReplicas` carrying the rest, whose per-replica rates are closest (least max(a/b, b/a)); of
 * equally close counts, the most (more room for the share). All of them when the old version
 * carries nothing (100%) or there is none, and none to choose from when `newReplicas` is 0.
 */
export function canaryScale(oldReplicas: number, newReplicas: number, percent: number): number {
  if (newReplicas <= 1) return Math.max(0, newReplicas);
  if (oldReplicas <= 0 || percent >= 100 || percent <= 0) return newReplicas;
  let best = newReplicas;
  let bestRatio = loadRatio(oldReplicas, newReplicas, percent);
  for (let k = newReplicas - 1; k >= 1; k--) {
    const r = loadRatio(oldReplicas, k, percent);
    if (r < bestRatio - 1e-12) [best, bestRatio] = [k, r];
  }
  return best;
}

/** Which new replicas a step routes to and which it holds back (started, warm, not routed). */
export interface CanaryRouting {
  /** The new version's replicas routed this step, by id. */
  routed: string[];
  /** Its replicas held out of routing this step. */
  held: string[];
  /** max/min of the per-replica rates the split gives (1 = equal); Infinity when a side carries nothing. */
  plannedLoadRatio: number;
}

/** The split of `newIds` (in a stable order) for a step at `percent` beside `oldReplicas` routed ones. */
export function canaryRouting(oldReplicas: number, newIds: readonly string[], percent: number): CanaryRouting {
  const sorted = [...newIds].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const k = canaryScale(oldReplicas, sorted.length, percent);
  return {
    routed: sorted.slice(0, k),
    held: sorted.slice(k),
    plannedLoadRatio: loadRatio(oldReplicas, k, percent),
  };
}

/** " on 1 of 2 replicas" */
export function routedLine(r: CanaryRouting): string {
  const of = r.routed.length + r.held.length;
  return ` on ${r.routed.length} of ${of} replica${of === 1 ? '' : 's'}`;
}

/** A step's routing at `percent` from the replicas now: the ready ones of `from` all routed, of `to` split. */
export function stepRouting(
  replicas: ReadonlyArray<{ id: string; version?: number; state: string }>,
  from: number,
  to: number,
  percent: number,
): CanaryRouting {
  const ready = (v: number) => replicas.filter((r) => r.version === v && r.state === 'ready');
  return canaryRouting(
    ready(from).length,
    ready(to).map((r) => r.id),
    percent,
  );
}
