// The throughput objective's search (tune): the highest rate one replica (or the cluster) sustains
// within the targets. Exhaustive: the knee of every point, each bisection started from the last
// knee. Otherwise a hill climb with early stops: the start point's knee first, then each neighbour
// is measured once at the best knee plus the tolerance; one that misses there cannot be better and
// costs one measurement; one that meets it becomes the current point and its knee is bisected. The
// climb ends when no neighbour of the current point is better.
import { findKneeRate, type ProbeHost } from './knee.js';
import type { Ledger } from './ledger.js';
import { neighbours, type Step } from './neighbours.js';
import { configKey } from './space.js';
import type { TuneConfig, TuneSpace } from './types.js';

/** Thrown by a host's measure() when a configuration cannot be applied; the search moves on. */
export class CandidateSkipped extends Error {}

export interface ThroughputSearch {
  space: TuneSpace;
  /** Points of the grid that may be measured, in grid order (excluded ones left out). */
  points: readonly TuneConfig[];
  start: TuneConfig;
  /** The first rate tried on the first point. */
  firstRatePerSec: number;
  tolerance: number;
  minPerSec: number;
  maxPerSec: number;
  exhaustive: boolean;
}

/** Runs the search, recording everything in `ledger`; returns the best point (undefined: none met the targets). */
export async function searchThroughput(
  host: ProbeHost,
  ledger: Ledger,
  s: ThroughputSearch,
): Promise<TuneConfig | undefined> {
  const allowed = new Set(s.points.map(configKey));
  const knee = async (c: TuneConfig, startPerSec: number, mustReach?: number) => {
    try {
      return (
        await findKneeRate(host, ledger, c, {
          startPerSec,
          tolerance: s.tolerance,
          minPerSec: s.minPerSec,
          maxPerSec: s.maxPerSec,
          mustReach,
        })
      ).kneePerSec;
    } catch (err) {
      if (!(err instanceof CandidateSkipped)) throw err;
      ledger.mark(c, 'skipped', err.message);
      return undefined;
    }
  };
  let best: { config: TuneConfig; knee: number } | undefined;
  const consider = (c: TuneConfig, k: number | null | undefined) => {
    if (typeof k === 'number' && (!best || k > best.knee)) best = { config: c, knee: k };
  };

  if (s.exhaustive) {
    let hint = s.firstRatePerSec;
    for (const c of s.points) {
      const k = await knee(c, hint);
      consider(c, k);
      if (typeof k === 'number') hint = k;
    }
    return best?.config;
  }

  let current = allowed.has(configKey(s.start)) ? s.start : s.points[0];
  if (!current) return undefined;
  consider(current, await knee(current, s.firstRatePerSec));
  let prefer: Omit<Step, 'config'> | undefined;
  for (;;) {
    let moved = false;
    for (const step of neighbours(s.space, current, { prefer })) {
      const c = step.config;
      if (!allowed.has(configKey(c)) || ledger.settled(c)) continue;
      const bar = best ? Math.ceil(best.knee * (1 + s.tolerance)) : undefined;
      const k = await knee(c, bar ?? s.firstRatePerSec, bar);
      const before = best?.knee;
      consider(c, k);
      if (best && best.config === c && (before === undefined || best.knee > before)) {
        current = c;
        prefer = { axis: step.axis, direction: step.direction };
        moved = true;
        break;
      }
    }
    if (!moved) return best?.config;
  }
}
