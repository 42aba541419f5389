// The cost objective's search (tune): the cheapest configuration that meets every target at the
// target rate. Replica and thread counts set the cost, so their pairs are tried cheapest first, and
// the first pair with a passing batching stops the search. Within a pair, a hill climb on batch
// size and wait toward the lowest score (the worst ratio of a value to its target) stops at the
// first pass or when no neighbour is nearer; a point that missed a latency target while keeping up
// with the rate prunes every bigger-or-equal batch with a longer wait (they only wait longer).
// Exhaustive: every point at the rate.
import { compareCost } from './cost.js';
import type { ProbeHost } from './knee.js';
import type { Ledger } from './ledger.js';
import { neighbours } from './neighbours.js';
import { CandidateSkipped } from './search-throughput.js';
import { configKey } from './space.js';
import type { CostSummary, Probe, TuneConfig, TuneSpace } from './types.js';

export interface CostSearch {
  space: TuneSpace;
  /** Points that may be measured, in grid order (excluded ones left out). */
  points: readonly TuneConfig[];
  start: TuneConfig;
  ratePerSec: number;
  exhaustive: boolean;
  costOf(c: TuneConfig): CostSummary;
}

/** Runs the search; returns the recommended point (undefined: none met every target). */
export async function searchCost(host: ProbeHost, ledger: Ledger, s: CostSearch): Promise<TuneConfig | undefined> {
  const allowed = new Set(s.points.map(configKey));
  const measure = async (c: TuneConfig): Promise<Probe | undefined> => {
    try {
      const probe = await host.measure(c, s.ratePerSec);
      ledger.addProbe(c, probe, true);
      return probe;
    } catch (err) {
      if (!(err instanceof CandidateSkipped)) throw err;
      ledger.mark(c, 'skipped', err.message);
      return undefined;
    }
  };
  let passing: Array<{ c: TuneConfig; p: Probe }> = [];
  const levels = costLevels(s.points, (c) => s.costOf(c));
  let startBatching = { maxBatchSize: s.start.maxBatchSize, batchWaitMs: s.start.batchWaitMs };
  for (const level of levels) {
    if (s.exhaustive) {
      for (const c of level) {
        const p = await measure(c);
        if (p?.passed) passing.push({ c, p });
      }
      continue;
    }
    const at = (b: { maxBatchSize: number; batchWaitMs: number }) => ({ ...level[0]!, ...b });
    let current = allowed.has(configKey(at(startBatching))) ? at(startBatching) : level[0]!;
    let currentProbe = await measure(current);
    const found = (): boolean => passing.length > 0;
    const take = (c: TuneConfig, p: Probe | undefined) => {
      if (!p) return;
      if (p.passed) passing.push({ c, p });
      else pruneLongerWaits(ledger, s, c, p);
    };
    take(current, currentProbe);
    while (!found()) {
      let next: { c: TuneConfig; p: Probe } | undefined;
      for (const step of neighbours(s.space, current, { axes: ['maxBatchSize', 'batchWaitMs'] })) {
        const c = step.config;
        if (!allowed.has(configKey(c)) || ledger.settled(c)) continue;
        const p = await measure(c);
        take(c, p);
        if (p && (!next || p.score < next.p.score)) next = { c, p };
      }
      if (found() || !next || !currentProbe || next.p.score >= currentProbe.score) break;
      current = next.c;
      currentProbe = next.p;
    }
    if (found()) break;
    // The next pair starts from the batching that came nearest here.
    if (currentProbe) startBatching = { maxBatchSize: current.maxBatchSize, batchWaitMs: current.batchWaitMs };
  }
  passing = passing.sort((a, b) => compareCost(s.costOf(a.c), s.costOf(b.c)) || a.p.score - b.p.score);
  return passing[0]?.c;
}

/** Points grouped by (replicas, threads), the groups cheapest first. */
export function costLevels(points: readonly TuneConfig[], costOf: (c: TuneConfig) => CostSummary): TuneConfig[][] {
  const groups = new Map<string, TuneConfig[]>();
  for (const c of points) {
    const k = `${c.replicas}x${c.threads}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  return [...groups.values()].sort((a, b) => compareCost(costOf(a[0]!), costOf(b[0]!)));
}

/**
 * After `c` missed a latency target while answering the rate (not a capacity problem): a batch as big
 * or bigger that waits longer can only be slower, so those points of the same pair are pruned.
 */
export function pruneLongerWaits(ledger: Ledger, s: Pick<CostSearch, 'points'>, c: TuneConfig, p: Probe): void {
  const keptUp = !p.overloaded && p.achievedPerSec >= 0.9 * p.ratePerSec && p.errorRate === 0;
  const latencyMiss = p.missed.some((m) => /^(p\d+|max)\b/.test(m));
  if (!keptUp || !latencyMiss) return;
  for (const d of s.points) {
    if (
      d.replicas !== c.replicas ||
      d.threads !== c.threads ||
      d.maxBatchSize < c.maxBatchSize ||
      d.batchWaitMs <= c.batchWaitMs
    )
      continue;
    if (!ledger.settled(d))
      ledger.mark(
        d,
        'pruned',
        `batch ${c.maxBatchSize} within ${c.batchWaitMs}ms already missed ${p.missed[0]}` +
          ` while keeping up with the rate; a batch as big or bigger that waits longer ` +
          `only waits longer`,
      );
  }
}
