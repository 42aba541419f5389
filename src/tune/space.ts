// The search space of `serve tune` (tune, pure): each axis from its flag, else the profile's `tune`
// section, else a default that fits the host; the grid of configurations in the order an exhaustive
// run measures them (thread counts outermost: each change restarts the replicas); and the points a
// profile cannot hold, excluded with the rule they break.
import type { Profile } from '../profile/types.js';
import type { Objective, TuneConfig, TuneSpace } from './types.js';

/** Batch sizes and waits tried when neither a flag nor the profile names them. */
export const DEFAULT_BATCH_SIZES = [1, 8, 16, 32];
export const DEFAULT_BATCH_WAITS_MS = [0, 2, 5, 10];

/** Axes given on the command line (already parsed). */
export type SpaceFlags = Partial<TuneSpace>;

/** The space for `profile` on a host with `hostCpus` CPUs; flags win over the profile's `tune` section. */
export function buildSpace(
  profile: Profile,
  flags: SpaceFlags,
  hostCpus: number,
  objective: Objective,
  cluster: boolean,
): TuneSpace {
  const t = profile.tune ?? {};
  const threads = flags.threads ?? t.threads ?? range(1, Math.max(1, Math.min(2, Math.floor(hostCpus))));
  const fewestThreads = Math.min(...threads);
  // One replica's throughput is measured with one replica; otherwise as many as fit the host, up to 4.
  const replicas =
    objective === 'throughput' && !cluster
      ? [1]
      : (flags.replicas ?? t.replicas ?? range(1, Math.max(1, Math.min(4, Math.floor(hostCpus / fewestThreads)))));
  return {
    batchSizes: flags.batchSizes ?? t.batchSizes ?? DEFAULT_BATCH_SIZES,
    batchWaitsMs: flags.batchWaitsMs ?? t.batchWaitsMs ?? DEFAULT_BATCH_WAITS_MS,
    replicas,
    threads,
  };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** A stable key of a configuration ("b16-w2-r1-t1"). */
export function configKey(c: TuneConfig): string {
  return `b${c.maxBatchSize}-w${c.batchWaitMs}-r${c.replicas}-t${c.threads}`;
}

/** "batch 16 within 2ms, 1 replica x 1 thread". */
export function configText(c: TuneConfig): string {
  return (
    `batch ${c.maxBatchSize} within ${c.batchWaitMs}ms, ${c.replicas} replica` +
    `${c.replicas === 1 ? '' : 's'} x ${c.threads} thread` +
    `${c.threads === 1 ? '' : 's'}`
  );
}

/** Every configuration: threads outermost, then replicas, batch size and wait. */
export function grid(space: TuneSpace): TuneConfig[] {
  const out: TuneConfig[] = [];
  for (const threads of space.threads) {
    for (const replicas of space.replicas) {
      for (const maxBatchSize of space.batchSizes) {
        for (const batchWaitMs of space.batchWaitsMs) out.push({ maxBatchSize, batchWaitMs, replicas, threads });
      }
    }
  }
  return out;
}

/**
 * Why `c` cannot be tried with `profile` on this host, or undefined: the profile's rules (a batch
 * wait below slo.p99 and the gateway's request timeout, a batch that fits the replica's queue) and,
 * unless `oversubscribe`, the host's CPUs.
 */
export function exclusion(
  c: TuneConfig,
  profile: Profile,
  hostCpus: number,
  oversubscribe: boolean,
): string | undefined {
  const p99 = profile.slo.p99Ms;
  if (p99 !== undefined && c.batchWaitMs >= p99) return `batch wait ${c.batchWaitMs}ms is not below slo.p99 (${p99}ms)`;
  if (c.batchWaitMs >= profile.gateway.requestTimeoutMs)
    return (
      `batch wait ${c.batchWaitMs}ms is not below gateway.request_timeout (` + `${profile.gateway.requestTimeoutMs}ms)`
    );
  if (c.maxBatchSize > profile.batching.maxQueuedRequests)
    return (
      `batch ${c.maxBatchSize} is more than batching.max_queued_requests (` + `${profile.batching.maxQueuedRequests})`
    );
  const cpus = c.replicas * c.threads;
  if (!oversubscribe && cpus > hostCpus)
    return (
      `needs ${cpus} CPUs (${c.replicas} x ${c.threads} threads), the host has ` +
      `${hostCpus} (--oversubscribe to try it anyway)`
    );
  return undefined;
}

/** The point to start a search from: the profile's own values where the space has them, else the middle of each axis. */
export function startPoint(space: TuneSpace, profile: Profile): TuneConfig {
  const pick = (values: number[], own: number, middle: number) => (values.includes(own) ? own : values[middle]!);
  const upperMiddle = (values: number[]) => Math.ceil((values.length - 1) / 2);
  return {
    maxBatchSize: pick(space.batchSizes, profile.batching.maxBatchSize, upperMiddle(space.batchSizes)),
    batchWaitMs: pick(space.batchWaitsMs, profile.batching.batchWaitMs, upperMiddle(space.batchWaitsMs)),
    replicas: space.replicas[0]!,
    threads: space.threads[0]!,
  };
}

/** About how many configurations a search measures (for the progress line): all of them when exhaustive. */
export function searchEstimate(space: TuneSpace, objective: Objective, exhaustive: boolean, points: number): number {
  if (exhaustive) return points;
  const steps = (v: number[]) => (v.length > 1 ? v.length : 0);
  if (objective === 'throughput') {
    const axes = [space.batchSizes, space.batchWaitsMs, space.threads, space.replicas].filter((v) => v.length > 1);
    return Math.min(points, 1 + axes.reduce((a, v) => a + v.length - 1, 0) + axes.length);
  }
  const pairs = space.replicas.length * space.threads.length;
  return Math.min(points, pairs * Math.min(5, 1 + steps(space.batchSizes) + steps(space.batchWaitsMs)));
}
