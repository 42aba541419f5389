// TuneReports for the rendering tests (test helper): a throughput search of three candidates, and a
// cost search at 200 req/s where every candidate is measured at that one rate, priced or not.
import { costOf } from '../../src/tune/cost.js';
import { outcome } from '../../src/tune/rank.js';
import type { Candidate, TuneConfig, TuneReport } from '../../src/tune/types.js';
import { fakeProbe } from './fake-landscape.js';

const resources = { resources: { cpus: 1, gpus: 0, memoryBytes: 1024 ** 3 }, cost: { cpuHour: 0.04 } };

/** Throughput: b8 w2ms passes up to 300 req/s, b1 w0ms fails from 315, b32 w10ms is excluded. */
export function throughputReport(): TuneReport {
  const cand = (c: TuneConfig, knee: number | undefined, below?: number): Candidate => {
    const probes = [fakeProbe(c, 200), fakeProbe(c, 400), fakeProbe(c, 300)];
    const result = knee === undefined ? probes[1]! : probes.find((p) => p.ratePerSec === knee)!;
    return {
      config: c,
      status: 'measured',
      probes,
      result,
      passed: knee !== undefined,
      kneePerSec: knee,
      belowPerSec: below,
      cost: costOf(c, resources, result.achievedPerSec),
    };
  };
  const all: Candidate[] = [
    cand({ maxBatchSize: 8, batchWaitMs: 2, replicas: 1, threads: 1 }, 300),
    cand({ maxBatchSize: 1, batchWaitMs: 0, replicas: 1, threads: 1 }, undefined, 315),
    {
      config: { maxBatchSize: 32, batchWaitMs: 10, replicas: 1, threads: 1 },
      status: 'excluded',
      note: 'batch wait 10ms is not below slo.p99 (10ms)',
      probes: [],
      passed: false,
      cost: costOf({ maxBatchSize: 32, batchWaitMs: 10, replicas: 1, threads: 1 }, resources),
    },
  ];
  const out = outcome(all, 'throughput', null, 'replica');
  return {
    schemaVersion: 1,
    startedAt: '2026-11-30T00:00:00.000Z',
    profile: { name: 'local', path: '/p/local.yaml' },
    objective: 'throughput',
    scope: 'replica',
    ratePerSec: null,
    targets: { p99Ms: 100 },
    space: { batchSizes: [1, 8, 32], batchWaitsMs: [0, 2, 10], replicas: [1], threads: [1] },
    exhaustive: false,
    stopped: 'budget',
    elapsedMs: 61_000,
    budgetMs: 60_000,
    windowMs: 1000,
    maxWindows: 5,
    warmupMs: 1000,
    ...out,
    measured: 2,
    probes: 6,
    warnings: [],
  };
}

/**
 * Cost at 200 req/s: batches 1, 8, 16, 32 within 0, 2 or 5 ms, on 1 replica (and 2 when `priced`,
 * with a CPU price), each measured once at 200 req/s; batch 1 misses p99 there. Unpriced, every
 * candidate costs the same 1 replica x 1 CPU, as on a laptop.
 */
export function costReport(priced: boolean): TuneReport {
  const prices = priced ? resources : { resources: resources.resources };
  const all: Candidate[] = [];
  for (const replicas of priced ? [1, 2] : [1]) {
    for (const maxBatchSize of [1, 8, 16, 32]) {
      for (const batchWaitMs of maxBatchSize === 1 ? [0] : [0, 2, 5]) {
        const c: TuneConfig = { maxBatchSize, batchWaitMs, replicas, threads: 1 };
        const probe = fakeProbe(c, 200);
        all.push({
          config: c,
          status: 'measured',
          probes: [probe],
          result: probe,
          passed: probe.passed,
          cost: costOf(c, prices, probe.achievedPerSec),
        });
      }
    }
  }
  all.push({
    config: { maxBatchSize: 32, batchWaitMs: 10, replicas: 1, threads: 1 },
    status: 'pruned',
    note: 'pruned: batch 32 within 5ms already met the targets',
    probes: [],
    passed: false,
    cost: costOf({ maxBatchSize: 32, batchWaitMs: 10, replicas: 1, threads: 1 }, prices),
  });
  const out = outcome(all, 'cost', 200, 'cluster');
  return {
    schemaVersion: 1,
    startedAt: '2026-11-30T00:00:00.000Z',
    profile: { name: 'local', path: '/p/local.yaml' },
    objective: 'cost',
    scope: 'cluster',
    ratePerSec: 200,
    targets: { p99Ms: 100 },
    space: { batchSizes: [1, 8, 16, 32], batchWaitsMs: [0, 2, 5, 10], replicas: priced ? [1, 2] : [1], threads: [1] },
    exhaustive: true,
    stopped: 'done',
    elapsedMs: 95_000,
    budgetMs: null,
    windowMs: 1000,
    maxWindows: 5,
    warmupMs: 1000,
    ...out,
    measured: all.filter((c) => c.status === 'measured').length,
    probes: all.filter((c) => c.status === 'measured').length,
    warnings: [],
  };
}
