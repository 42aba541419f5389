// Repeating unsure measurements (pure, on the manual clock): the recommendation is measured again
// while it is unsure, until met or missed with confidence, the repeats are used up, or the next
// measurement would not fit in the budget; a recommendation that turns out missed hands over to the
// next; without one, the unsure candidates nearest the targets are repeated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { decide } from '../../src/tune/decision.js';
import type { ProbeHost } from '../../src/tune/knee.js';
import { Ledger } from '../../src/tune/ledger.js';
import { outcome } from '../../src/tune/rank.js';
import { MAX_REPEATS, remeasureUnsure } from '../../src/tune/remeasure.js';
import { configKey } from '../../src/tune/space.js';
import type { CostSummary, Objective, Probe, TuneConfig } from '../../src/tune/types.js';

const MEASURE_MS = 3000;
const cfg = (replicas: number): TuneConfig => ({ maxBatchSize: 8, batchWaitMs: 2, replicas, threads: 1 });
const costOf = (c: TuneConfig): CostSummary => ({
  replicas: c.replicas,
  cpus: c.replicas,
  gpus: 0,
  memoryGiB: c.replicas,
  perHour: c.replicas,
  perMillion: null,
});

/** A stable measurement at `rate` whose p99 (target 100 ms) is `est` within [low, high]. */
function probe(low: number, est: number, high: number, rate = 100): Probe {
  return {
    ratePerSec: rate,
    achievedPerSec: rate,
    latency: { p50Ms: est / 3, p95Ms: est * 0.8, p99Ms: est, maxMs: est * 1.5 },
    errorRate: 0,
    passed: est <= 100,
    missed: est <= 100 ? [] : [`p99 ${est}ms > 100ms`],
    score: est / 100,
    stable: true,
    windows: 3,
    overloaded: false,
    durationMs: MEASURE_MS,
    checks: [{ metric: 'p99', actual: est, limit: 100, ratio: est / 100, message: '', low, high }],
    droppedWindows: 0,
    measurements: 1,
  };
}
const UNSURE = [80, 90, 110] as const;
const MET = [80, 85, 95] as const;
const MISSED = [105, 120, 140] as const;

/**
 * A host whose measurements of each configuration follow `script` (the first measurement, then
 * each re-measurement; the last repeats), each taking MEASURE_MS on `clock`, pooled as the real
 * host pools (measurements and duration add up).
 */
function scriptedHost(clock: ManualClock, script: Record<number, ReadonlyArray<readonly [number, number, number]>>) {
  const taken = new Map<string, number>();
  const calls: string[] = [];
  const next = (c: TuneConfig, rate: number, again: boolean): Probe => {
    const n = taken.get(configKey(c)) ?? 0;
    taken.set(configKey(c), n + 1);
    calls.push(`${again ? 're' : ''}measure r${c.replicas}`);
    clock.advance(MEASURE_MS);
    const steps = script[c.replicas]!;
    const [low, est, high] = steps[Math.min(n, steps.length - 1)]!;
    return { ...probe(low, est, high, rate), measurements: n + 1, durationMs: MEASURE_MS * (n + 1) };
  };
  const host: ProbeHost = {
    measure: async (c, rate) => next(c, rate, false),
    remeasure: async (c, rate) => next(c, rate, true),
  };
  return { host, calls };
}

/** The cost search's end: every configuration of `script` measured once at 100 req/s. */
async function searched(clock: ManualClock, script: Parameters<typeof scriptedHost>[1]) {
  const configs = Object.keys(script).map((r) => cfg(Number(r)));
  const ledger = new Ledger(configs, costOf);
  const h = scriptedHost(clock, script);
  for (const c of configs) ledger.addProbe(c, await h.host.measure(c, 100), true);
  h.calls.length = 0;
  return { ledger, ...h };
}

function decision(ledger: Ledger, objective: Objective = 'cost') {
  return decide({ objective, windowMs: 1000, maxWindows: 5, ...outcome(ledger.all(), objective, 100, 'replica') });
}

test('an unsure recommendation is measured again until met with confidence', async () => {
  const clock = new ManualClock();
  const { ledger, host, calls } = await searched(clock, { 1: [UNSURE, MET], 2: [MET] });
  assert.equal(decision(ledger).decision, 'inconclusive', 'before: the cheapest passing one straddles');
  const repeats = await remeasureUnsure(host, ledger, { objective: 'cost', clock });
  assert.equal(repeats, 1);
  assert.deepEqual(calls, ['remeasure r1']);
  assert.equal(decision(ledger).decision, 'decided');
  assert.equal(ledger.get(cfg(1)).probes.length, 2, 'both measurements are kept');
  assert.equal(ledger.get(cfg(1)).result!.measurements, 2);
});

test('repeats stop at MAX_REPEATS and the recommendation is reported unsure, measured that many times', async () => {
  const clock = new ManualClock();
  const { ledger, host, calls } = await searched(clock, { 1: [UNSURE] });
  assert.equal(await remeasureUnsure(host, ledger, { objective: 'cost', clock }), MAX_REPEATS);
  assert.deepEqual(calls, Array(MAX_REPEATS).fill('remeasure r1'));
  const d = decision(ledger);
  assert.equal(d.decision, 'inconclusive');
  assert.match(d.advice!, /is unsure, measured 3 times: p99 90\.0 ms \[80\.0, 110\] straddles 100 ms/);
});

test('a re-measurement starts only when one like the last fits in what is left of the budget', async () => {
  const clock = new ManualClock();
  const { ledger, host, calls } = await searched(clock, { 1: [UNSURE] });
  // 3 s in, a budget ending at 7.5 s: one more 3 s measurement fits (to 6 s), a second would not.
  assert.equal(clock.nowMs(), MEASURE_MS);
  const repeats = await remeasureUnsure(host, ledger, { objective: 'cost', clock, deadlineMs: 7500 });
  assert.equal(repeats, 1);
  assert.deepEqual(calls, ['remeasure r1']);
  assert.equal(clock.nowMs(), 6000);
  assert.equal(await remeasureUnsure(host, ledger, { objective: 'cost', clock, deadlineMs: 8999 }), 0);
  assert.equal(decision(ledger).decision, 'inconclusive');
});

test('a recommendation missed on a second look hands over to the next cheapest, itself repeated while unsure', async () => {
  const clock = new ManualClock();
  const { ledger, host, calls } = await searched(clock, { 1: [UNSURE, MISSED], 2: [UNSURE, MET], 3: [MET] });
  await remeasureUnsure(host, ledger, { objective: 'cost', clock });
  assert.deepEqual(calls, ['remeasure r1', 'remeasure r2']);
  const out = outcome(ledger.all(), 'cost', 100, 'replica');
  assert.equal(out.recommendation?.replicas, 2);
  assert.equal(decision(ledger).decision, 'decided');
});

test('without a recommendation the unsure candidates nearest the targets are repeated; all missed is exit 1', async () => {
  const clock = new ManualClock();
  const { ledger, host, calls } = await searched(clock, {
    1: [[95, 105, 130], MISSED],
    2: [[92, 103, 115], MISSED],
    3: [MISSED],
  });
  assert.equal(decision(ledger).decision, 'inconclusive');
  await remeasureUnsure(host, ledger, { objective: 'cost', clock });
  assert.deepEqual(calls, ['remeasure r2', 'remeasure r1'], 'nearest first (p99 103 before 105)');
  assert.equal(decision(ledger).decision, 'missed');
});

test('throughput: a knee that misses when measured again falls back to the highest rate below it that passed', async () => {
  const c = cfg(1);
  const ledger = new Ledger([c], costOf);
  ledger.addProbe(c, probe(...MET, 200), false);
  ledger.addProbe(c, probe(...UNSURE, 300), false);
  ledger.addProbe(c, probe(...MISSED, 400), false);
  ledger.setKnee(c, 300);
  const clock = new ManualClock();
  const host: ProbeHost = {
    measure: async () => assert.fail('a re-measurement pools'),
    remeasure: async (_c, rate) => {
      clock.advance(MEASURE_MS);
      assert.equal(rate, 300, 'at the knee');
      return probe(...MISSED, rate);
    },
  };
  await remeasureUnsure(host, ledger, { objective: 'throughput', clock });
  assert.equal(ledger.get(c).kneePerSec, 200);
  assert.equal(ledger.get(c).result!.ratePerSec, 200);
  assert.equal(decision(ledger, 'throughput').decision, 'decided');
});
