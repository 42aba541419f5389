// What a configuration costs (tune, pure): per hour from the profile's `cost` prices (CPUs are the
// threads, GPUs and memory the profile's per replica), per million predictions at the rate it
// carries, and the order configurations are ranked by: price, else fewest replicas, then fewest
// CPUs and GPUs per replica.
import type { Profile } from '../profile/types.js';
import type { CostSummary, TuneConfig } from './types.js';

const GiB = 1024 ** 3;

/** The cost of `c` under `profile`'s resources and prices; `ratePerSec` gives the price per million predictions. */
export function costOf(c: TuneConfig, profile: Pick<Profile, 'resources' | 'cost'>, ratePerSec?: number): CostSummary {
  const prices = profile.cost;
  const memoryGiB = profile.resources.memoryBytes / GiB;
  const gpus = profile.resources.gpus;
  const hasPrices =
    prices !== undefined &&
    (prices.cpuHour !== undefined || prices.gpuHour !== undefined || prices.gibHour !== undefined);
  const perReplica =
    (prices?.cpuHour ?? 0) * c.threads + (prices?.gpuHour ?? 0) * gpus + (prices?.gibHour ?? 0) * memoryGiB;
  const perHour = hasPrices ? perReplica * c.replicas : null;
  const perMillion =
    perHour !== null && ratePerSec !== undefined && ratePerSec > 0 ? (perHour / (ratePerSec * 3600)) * 1e6 : null;
  return {
    replicas: c.replicas,
    cpus: c.replicas * c.threads,
    gpus: c.replicas * gpus,
    memoryGiB: c.replicas * memoryGiB,
    perHour,
    perMillion,
  };
}

/** Negative when `a` is cheaper than `b`: by price when there are prices, then replicas, CPUs and GPUs. */
export function compareCost(a: CostSummary, b: CostSummary): number {
  if (a.perHour !== null && b.perHour !== null && a.perHour !== b.perHour) return a.perHour - b.perHour;
  return a.replicas - b.replicas || a.cpus - b.cpus || a.gpus - b.gpus;
}

/** "0.0800/h, 0.111 per million" or "2 replicas x 1 CPU". */
export function costText(cost: CostSummary): string {
  if (cost.perHour === null)
    return (
      `${cost.replicas} replica${cost.replicas === 1 ? '' : 's'} x ` +
      `${cost.cpus / Math.max(1, cost.replicas)} CPU` +
      `${cost.cpus === cost.replicas ? '' : 's'}`
    );
  const million = cost.perMillion === null ? '' : `, ${money(cost.perMillion)} per million`;
  return `${money(cost.perHour)}/h${million}`;
}

/** A price with four significant digits. */
export function money(v: number): string {
  return v === 0 ? '0' : String(+v.toPrecision(4));
}
