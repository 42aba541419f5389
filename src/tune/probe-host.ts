// The tuner's measuring host (tune, shell): applies a candidate through the admin API and measures
// it (measure.ts), reporting progress; keeps each measurement's kept windows by configuration and
// rate, so that re-measuring an unsure one (remeasure.ts) pools the new windows with them.
import type { Profile } from '../profile/types.js';
import type { TuneCluster } from './cluster.js';
import type { ProbeHost } from './knee.js';
import { emptyPool, measureAt, TuneStopped, type Pool } from './measure.js';
import { configKey, searchEstimate } from './space.js';
import type { Objective, TuneConfig, TuneReport, TuneSpace } from './types.js';

/** What the progress line shows. */
export interface TuneProgress {
  /** The candidate being measured (1-based) and about how many the search will measure. */
  candidate: number;
  about: number;
  config: TuneConfig;
  ratePerSec: number;
  window: number;
  elapsedMs: number;
  /** Null without --budget. */
  budgetLeftMs: number | null;
}

/** What the host needs of the tuner's options. */
export interface HostOptions {
  profile: Profile;
  objective: Objective;
  space: TuneSpace;
  exhaustive: boolean;
  budgetMs?: number;
  windowMs: number;
  maxWindows: number;
  warmupMs: number;
  onProgress?(p: TuneProgress): void;
}

/** Applies and measures candidates, reporting progress; throws TuneStopped once `signal` aborts. */
export function probeHost(
  o: HostOptions,
  cluster: TuneCluster,
  targets: TuneReport['targets'],
  signal: AbortSignal,
  t0: number,
  points: number,
): ProbeHost {
  const seen = new Set<string>();
  const estimate = searchEstimate(o.space, o.objective, o.exhaustive, points);
  const settings = {
    url: cluster.gatewayUrl,
    model: o.profile.model.name,
    windowMs: o.windowMs,
    maxWindows: o.maxWindows,
    warmupMs: o.warmupMs,
    timeoutMs: o.profile.gateway.requestTimeoutMs + 2000,
    connections: 256,
    targets,
  };
  const pools = new Map<string, Pool>();
  const progress = (c: TuneConfig, ratePerSec: number, window: number) =>
    o.onProgress?.({
      candidate: Math.max(1, seen.size),
      about: Math.max(estimate, seen.size),
      config: c,
      ratePerSec,
      window,
      elapsedMs: Date.now() - t0,
      budgetLeftMs: o.budgetMs === undefined ? null : Math.max(0, o.budgetMs - (Date.now() - t0)),
    });
  const run = async (c: TuneConfig, ratePerSec: number, pool: Pool) => {
    if (signal.aborted) throw new TuneStopped();
    progress(c, ratePerSec, 0);
    await cluster.apply(c);
    if (signal.aborted) throw new TuneStopped();
    const probe = await measureAt(settings, ratePerSec, signal, (n) => progress(c, ratePerSec, n), pool);
    pools.set(`${configKey(c)}@${ratePerSec}`, pool);
    return probe;
  };
  return {
    measure(c, ratePerSec) {
      if (!signal.aborted) seen.add(configKey(c));
      return run(c, ratePerSec, emptyPool());
    },
    remeasure(c, ratePerSec) {
      return run(c, ratePerSec, pools.get(`${configKey(c)}@${ratePerSec}`) ?? emptyPool());
    },
  };
}
