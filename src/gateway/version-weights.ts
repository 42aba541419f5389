// Traffic split by model version (gateway, data plane): during a rollout the controller gives each
// version a weight; a request first draws a version by weight, then a replica of it by P2C. Pure
// apart from the injected random source, so the split is tested exactly.
import { pickP2C } from './pick.js';
import type { Upstream } from './upstream.js';

export class VersionWeights {
  private weights: Map<string, number> | undefined;
  private total = 0;

  /** Replaces the weights; undefined (or all zero) routes to every replica as before. */
  set(weights: Record<string, number> | undefined): void {
    const entries = Object.entries(weights ?? {}).filter(([, w]) => w > 0);
    this.total = entries.reduce((a, [, w]) => a + w, 0);
    this.weights = this.total > 0 ? new Map(entries) : undefined;
  }

  get active(): boolean {
    return this.weights !== undefined;
  }

  /** The weights in force, for stats (undefined when none). */
  snapshot(): Record<string, number> | undefined {
    return this.weights && Object.fromEntries(this.weights);
  }

  /** True when answers of `version` may go to clients now (a version without weight is leaving). */
  serving(version: string | undefined): boolean {
    return this.weights === undefined || version === undefined || this.weights.has(version);
  }

  /** A version drawn by weight; undefined when no weights are set. */
  choose(random: () => number): string | undefined {
    if (!this.weights) return undefined;
    let r = random() * this.total;
    let last: string | undefined;
    for (const [v, w] of this.weights) {
      last = v;
      if ((r -= w) < 0) return v;
    }
    return last;
  }
}

/**
 * A replica for one request under version weights: one of the drawn version; else one of any
 * serving version (the drawn one has no free slot); undefined while a serving replica is only busy
 * (the request waits); and, so that no request fails while something could answer it, any replica
 * when no serving one is available at all.
 */
export function pickByVersion(
  members: readonly Upstream[],
  weights: VersionWeights,
  score: (u: Upstream) => number,
  random: () => number,
  nowMs: number,
): Upstream | undefined {
  const v = weights.choose(random);
  const drawn = pickP2C(
    members.filter((u) => u.version === v),
    score,
    random,
  );
  if (drawn) return drawn;
  const serving = members.filter((u) => weights.serving(u.version));
  const any = pickP2C(serving, score, random);
  if (any || serving.some((u) => u.isAvailable(nowMs))) return any;
  return pickP2C(members, score, random);
}
