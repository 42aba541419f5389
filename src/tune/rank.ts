// The outcome of a search (tune, pure): candidates ranked (the recommendation first, then passing
// ones by the objective, failing ones nearest first, then pruned, excluded and skipped), the
// recommendation with its reason in one sentence, or the closest candidate and what it missed.
import { compareCost, costText } from './cost.js';
import { configText } from './space.js';
import type { Candidate, Objective, Recommendation, TuneConfig, TuneReport } from './types.js';

export interface Outcome {
  candidates: Candidate[];
  recommendation: Recommendation | null;
  reason: string;
  closest: TuneReport['closest'];
}

const statusRank: Record<Candidate['status'], number> = { measured: 0, pruned: 1, skipped: 2, excluded: 3 };

/** Orders candidates as the table shows them. */
export function rankCandidates(all: readonly Candidate[], objective: Objective): Candidate[] {
  return [...all].sort((a, b) => {
    if (a.status !== b.status) return statusRank[a.status] - statusRank[b.status];
    if (a.passed !== b.passed) return a.passed ? -1 : 1;
    if (a.passed) {
      if (objective === 'throughput') return (b.kneePerSec ?? 0) - (a.kneePerSec ?? 0) || compareCost(a.cost, b.cost);
      return compareCost(a.cost, b.cost) || (a.result?.score ?? Infinity) - (b.result?.score ?? Infinity);
    }
    return (a.result?.score ?? Infinity) - (b.result?.score ?? Infinity);
  });
}

/** Ranks, picks and explains; `ratePerSec` is the cost objective's rate, `scope` says whose throughput. */
export function outcome(
  all: readonly Candidate[],
  objective: Objective,
  ratePerSec: number | null,
  scope: 'replica' | 'cluster',
): Outcome {
  const candidates = rankCandidates(all, objective);
  const best = candidates[0];
  if (best && best.passed && best.result) {
    const rate = objective === 'throughput' ? best.kneePerSec! : ratePerSec!;
    const recommendation: Recommendation = {
      ...config(best.config),
      objective,
      ratePerSec: rate,
      latency: best.result.latency,
      cost: best.cost,
    };
    return { candidates, recommendation, reason: reasonFor(best, candidates, objective, rate, scope), closest: null };
  }
  const near = candidates.find((c) => c.status === 'measured' && c.result);
  const what =
    objective === 'throughput'
      ? `at any rate tried (down to ${near?.result?.ratePerSec ?? '?'} req/s)`
      : `at ${ratePerSec} req/s`;
  if (!near)
    return {
      candidates,
      recommendation: null,
      reason:
        `no configuration was measured` +
        `${candidates.some((c) => c.status === 'excluded') ? ' (every one was excluded or could not start)' : ''}`,
      closest: null,
    };
  const missed = near.result!.missed;
  return {
    candidates,
    recommendation: null,
    reason:
      `no configuration met every target ${what}; the closest, ` +
      `${configText(near.config)}, missed ${missed.join(', ')}`,
    closest: { ...config(near.config), missed },
  };
}

function reasonFor(
  best: Candidate,
  ranked: readonly Candidate[],
  objective: Objective,
  rate: number,
  scope: 'replica' | 'cluster',
): string {
  const r = best.result!;
  const lat = `p99 ${r.latency.p99Ms.toFixed(1)}ms`;
  const passing = ranked.filter((c) => c.passed);
  if (objective === 'throughput') {
    const next = passing[1];
    const whose = scope === 'cluster' ? 'the cluster' : 'one replica';
    const then = next ? `; next best ${next.kneePerSec} req/s with ${configText(next.config)}` : '';
    return (
      `${configText(best.config)} is the highest rate ${whose} sustained within every ` +
      `target: ${rate} req/s (${lat})${then}`
    );
  }
  const cheaper = ranked.filter(
    (c) => c.status === 'measured' && !c.passed && compareCost(c.cost, best.cost) < 0,
  ).length;
  const missedCheaper =
    cheaper > 0 ? `; ${cheaper} cheaper configuration${cheaper === 1 ? '' : 's'} missed a target` : '';
  return (
    `${configText(best.config)} is the cheapest configuration that met every target ` +
    `at ${rate} req/s (${costText(best.cost)}, ${lat})${missedCheaper}`
  );
}

function config(c: TuneConfig): TuneConfig {
  return { maxBatchSize: c.maxBatchSize, batchWaitMs: c.batchWaitMs, replicas: c.replicas, threads: c.threads };
}
