// The knee of one configuration (tune): the highest rate at which it meets the targets, found by
// bisection on the rate rather than a fixed ladder: from a first rate it grows (or shrinks) by half
// until it brackets the knee, then halves the bracket until it is within the tolerance. With
// `mustReach`, a configuration that misses at that rate is dropped after one measurement: it cannot
// beat the best found so far. Pure over the injected measurement.
import type { Ledger } from './ledger.js';
import type { Probe, TuneConfig } from './types.js';

/** Measures a configuration at a rate (applying it first when it is not the one running). */
export interface ProbeHost {
  measure(c: TuneConfig, ratePerSec: number): Promise<Probe>;
  /**
   * Measures again at a rate measured before, pooling the new windows with the last measurement's
   * there (remeasure.ts); without it, a re-measurement is a fresh measurement.
   */
  remeasure?(c: TuneConfig, ratePerSec: number): Promise<Probe>;
}

export interface KneeOptions {
  /** The first rate tried (a hint: the knee of a neighbour, the target rate). */
  startPerSec: number;
  /** The bracket [lo, hi] is narrowed until hi <= lo * (1 + tolerance) (or hi - lo <= 1 req/s). */
  tolerance: number;
  minPerSec: number;
  maxPerSec: number;
  /** Stop after one measurement if the configuration misses at this rate. */
  mustReach?: number;
}

/** The knee (null: it missed even at minPerSec), or undefined with `belowPerSec` when it missed `mustReach`. */
export interface KneeResult {
  kneePerSec: number | null | undefined;
  belowPerSec?: number;
}

/** How much the rate grows or shrinks while bracketing the knee. */
export const EXPAND_FACTOR = 1.5;

/** Finds `c`'s knee, recording every measurement in `ledger`. */
export async function findKneeRate(
  host: ProbeHost,
  ledger: Ledger,
  c: TuneConfig,
  o: KneeOptions,
): Promise<KneeResult> {
  const passes = async (ratePerSec: number) => {
    const probe = await host.measure(c, ratePerSec);
    ledger.addProbe(c, probe, false);
    return probe.passed;
  };
  const clamp = (r: number) => Math.min(o.maxPerSec, Math.max(o.minPerSec, Math.round(r)));
  let lo: number | undefined;
  let hi: number | undefined;
  if (o.mustReach !== undefined) {
    const r = clamp(o.mustReach);
    if (!(await passes(r))) return done(ledger, c, { kneePerSec: undefined, belowPerSec: r });
    lo = r;
  } else {
    const r = clamp(o.startPerSec);
    if (await passes(r)) lo = r;
    else hi = r;
  }
  // Bracket: grow while passing, shrink while failing.
  while (hi === undefined) {
    const next = clamp(lo! * EXPAND_FACTOR);
    if (next <= lo!) return done(ledger, c, { kneePerSec: lo! });
    if (await passes(next)) lo = next;
    else hi = next;
  }
  while (lo === undefined) {
    const next = clamp(hi / EXPAND_FACTOR);
    if (next >= hi) return done(ledger, c, { kneePerSec: null });
    if (await passes(next)) lo = next;
    else hi = next;
  }
  // Bisect.
  while (hi > lo * (1 + o.tolerance) && hi - lo > 1) {
    const mid = Math.round((lo + hi) / 2);
    if (mid <= lo || mid >= hi) break;
    if (await passes(mid)) lo = mid;
    else hi = mid;
  }
  return done(ledger, c, { kneePerSec: lo });
}

function done(ledger: Ledger, c: TuneConfig, r: KneeResult): KneeResult {
  ledger.setKnee(c, r.kneePerSec, r.belowPerSec);
  return r;
}
