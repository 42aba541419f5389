// The tuner (tune): starts (or attaches to) a cluster, runs the search with each candidate applied
// through the admin API and measured with the load generator, measures an unsure answer again while
// the budget lasts, stops at the budget or Ctrl-C, hands the cluster back and returns the
// TuneReport. Pure decisions live in search-*.ts, knee.ts, rank.ts, remeasure.ts, decision.ts.
import { UserError, errorMessage } from '../common/errors.js';
import { systemClock } from '../common/clock.js';
import { attachCluster, startOwnCluster, type TuneCluster } from './cluster.js';
import { costOf } from './cost.js';
import { annotate } from './decision.js';
import { Ledger } from './ledger.js';
import { TuneStopped } from './measure.js';
import { probeHost, type HostOptions } from './probe-host.js';
import { outcome } from './rank.js';
import { remeasureUnsure } from './remeasure.js';
import { searchCost } from './search-cost.js';
import { searchThroughput } from './search-throughput.js';
import { configKey, exclusion, grid, startPoint } from './space.js';
import type { Stopped, TuneConfig, TuneReport } from './types.js';
import { latencyTargets } from './verdict.js';

export type { TuneProgress } from './probe-host.js';

/** The tuner's options: what its measuring host reads (probe-host.ts), and the rest. */
export interface TuneOptions extends HostOptions {
  /** The profile file's text (the cluster tune starts runs it with each candidate's values). */
  text: string;
  /** Throughput of the whole cluster rather than one replica. */
  cluster: boolean;
  /** Cost: the rate the targets are checked at. Throughput: the first rate tried. */
  ratePerSec?: number;
  /** Bisection stops when the bracket is within this fraction (0.05). */
  tolerance: number;
  hostCpus: number;
  oversubscribe: boolean;
  /** State directory of a running cluster to use instead of starting one. */
  attach?: string;
  cliEntry: string;
  /** Ctrl-C. */
  signal?: AbortSignal;
  /** The cluster in use, once there is one (a second Ctrl-C kills it). */
  onCluster?(c: TuneCluster): void;
}

/** Runs the whole search; the report holds the best found even when stopped early. */
export async function runTune(o: TuneOptions): Promise<TuneReport> {
  const startedAt = new Date();
  const t0 = Date.now();
  const clockAtStartMs = systemClock.nowMs();
  const ratePerSec = o.objective === 'cost' ? (o.ratePerSec ?? o.profile.slo.targetRps) : undefined;
  if (o.objective === 'cost' && ratePerSec === undefined) {
    throw new UserError(
      `profile ${o.profile.name} has no slo.throughput.target: give the rate to meet ` +
        `the targets at with --rps, or use --objective throughput`,
    );
  }
  const priced = (c: TuneConfig, rate?: number) => costOf(c, o.profile, rate);
  const all = grid(o.space);
  const ledger = new Ledger(all, priced);
  for (const c of all) {
    const why = exclusion(c, o.profile, o.hostCpus, o.oversubscribe);
    if (why) ledger.mark(c, 'excluded', why);
  }
  const points = all.filter((c) => ledger.get(c).status !== 'excluded');
  if (points.length === 0)
    throw new UserError(
      `no configuration of the space can be tried: ${ledger.get(all[0]!).note} (and ` +
        `the like for every other); change the flags or the profile's tune section`,
    );

  const stop = new AbortController();
  let stopped: Stopped = 'done';
  const halt = (why: Stopped) => {
    if (stopped === 'done') stopped = why;
    stop.abort();
  };
  const onSignal = () => halt('interrupted');
  o.signal?.addEventListener('abort', onSignal, { once: true });
  const budget =
    o.budgetMs === undefined
      ? undefined
      : setTimeout(() => halt('budget'), Math.max(0, o.budgetMs - (Date.now() - t0)));

  const start = startPoint(o.space, o.profile);
  // The cluster starts with the first point measured: the grid's first (exhaustive) or the search's start.
  const first = !o.exhaustive && points.some((c) => configKey(c) === configKey(start)) ? start : points[0]!;
  const targets = o.objective === 'throughput' ? latencyTargets(o.profile.slo) : o.profile.slo;
  let cluster: TuneCluster | undefined;
  const warnings: string[] = [];
  try {
    cluster =
      o.attach !== undefined
        ? await attachCluster(o.attach, o.profile)
        : await startOwnCluster({
            text: o.text,
            profile: o.profile,
            first,
            maxReplicas: Math.max(...o.space.replicas),
            cliEntry: o.cliEntry,
            signal: o.signal,
          });
    o.onCluster?.(cluster);
    const host = probeHost(o, cluster, targets, stop.signal, t0, points.length);
    try {
      if (o.objective === 'cost') {
        await searchCost(host, ledger, {
          space: o.space,
          points,
          start: first,
          ratePerSec: ratePerSec!,
          exhaustive: o.exhaustive,
          costOf: (c) => priced(c),
        });
      } else {
        await searchThroughput(host, ledger, {
          space: o.space,
          points,
          start: first,
          firstRatePerSec: o.ratePerSec ?? o.profile.slo.targetRps ?? 100,
          tolerance: o.tolerance,
          minPerSec: 1,
          maxPerSec: 100_000,
          exhaustive: o.exhaustive,
        });
      }
      // Unsure figures are measured again while the budget lasts, then reported as they stand.
      await remeasureUnsure(host, ledger, {
        objective: o.objective,
        clock: systemClock,
        deadlineMs: o.budgetMs === undefined ? undefined : clockAtStartMs + o.budgetMs,
      });
    } catch (err) {
      if (!(err instanceof TuneStopped)) throw err;
    }
  } finally {
    clearTimeout(budget);
    o.signal?.removeEventListener('abort', onSignal);
    await cluster
      ?.close()
      .catch((err: unknown) => warnings.push(`handing the cluster back failed: ${errorMessage(err)}`));
  }
  const out = outcome(
    annotate(ledger.all(), o.objective),
    o.objective,
    ratePerSec ?? null,
    o.cluster ? 'cluster' : 'replica',
  );
  return {
    schemaVersion: 1,
    startedAt: startedAt.toISOString(),
    profile: { name: o.profile.name, path: o.profile.sourcePath },
    objective: o.objective,
    scope: o.cluster ? 'cluster' : 'replica',
    ratePerSec: ratePerSec ?? null,
    targets,
    space: o.space,
    exhaustive: o.exhaustive,
    stopped,
    elapsedMs: Date.now() - t0,
    budgetMs: o.budgetMs ?? null,
    windowMs: o.windowMs,
    maxWindows: o.maxWindows,
    warmupMs: o.warmupMs,
    ...out,
    measured: out.candidates.filter((c) => c.status === 'measured').length,
    probes: ledger.probes(),
    warnings,
  };
}
