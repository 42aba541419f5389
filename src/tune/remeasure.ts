// Repeating unsure measurements (tune, pure over the injected measurement and clock): once the
// search is over, the candidate whose confidence decides the run (the recommendation, or without
// one the nearest measured candidates in rank order) is measured again while it is unsure, each
// time pooling its windows with the earlier ones, so its intervals narrow (or its windows settle)
// until it is met or missed with confidence, the repeats are used up, or the next measurement
// would not fit in what is left of the budget. What is still unsure is reported as such.
import type { Clock } from '../common/clock.js';
import { judgeProbe } from './decision.js';
import type { ProbeHost } from './knee.js';
import type { Ledger } from './ledger.js';
import { rankCandidates } from './rank.js';
import { configKey } from './space.js';
import type { Candidate, Objective, Probe } from './types.js';

/** Re-measurements at most of one candidate (three measurements pooled). */
export const MAX_REPEATS = 2;
/** Re-measurements at most in one run (several unsure candidates without a recommendation). */
export const MAX_REPEATS_TOTAL = 4;

export interface RemeasureOptions {
  objective: Objective;
  clock: Clock;
  /** Clock time the budget ends at; undefined: no budget (the repeat limits alone bound it). */
  deadlineMs?: number;
  maxRepeats?: number;
  maxTotal?: number;
}

/** Re-measures unsure candidates as above; returns how many re-measurements it took. */
export async function remeasureUnsure(host: ProbeHost, ledger: Ledger, o: RemeasureOptions): Promise<number> {
  const repeats = new Map<string, number>();
  const maxRepeats = o.maxRepeats ?? MAX_REPEATS;
  let total = 0;
  while (total < (o.maxTotal ?? MAX_REPEATS_TOTAL)) {
    const next = unsureCandidates(ledger.all(), o.objective).find(
      (c) => (repeats.get(configKey(c.config)) ?? 0) < maxRepeats,
    );
    if (!next) break;
    const last = next.result!;
    // A measurement cut off by the budget is lost: start one only when one like the last fits.
    const expectedMs = last.durationMs / (last.measurements ?? 1);
    if (o.deadlineMs !== undefined && o.clock.nowMs() + expectedMs > o.deadlineMs) break;
    const again = await (host.remeasure ?? host.measure).call(host, next.config, last.ratePerSec);
    ledger.remeasured(next.config, again, o.objective);
    repeats.set(configKey(next.config), (repeats.get(configKey(next.config)) ?? 0) + 1);
    total++;
  }
  return total;
}

/**
 * The candidates whose confidence would decide the run, while unsure, in the order to repeat them:
 * the recommendation alone when there is one (the others do not change the decision), else every
 * unsure measured candidate in rank order (nearest to meeting the targets first).
 */
export function unsureCandidates(all: readonly Candidate[], objective: Objective): Candidate[] {
  const measured = rankCandidates(all, objective).filter(
    (c): c is Candidate & { result: Probe } => c.status === 'measured' && c.result !== undefined,
  );
  const unsure = (c: Candidate & { result: Probe }) => judgeProbe(c.result, objective).confidence === 'unsure';
  const recommended = measured.find((c) => c.passed);
  if (recommended) return unsure(recommended) ? [recommended] : [];
  return measured.filter(unsure);
}
