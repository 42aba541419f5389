// The search of `serve tune` on a made-up replica (pure, no processes): bisection finds a knee
// within the tolerance in few measurements and drops a worse candidate after one; the hill climb
// finds a configuration within 10% of the exhaustive best in under a third of its measurements; the
// cost search stops at the cheapest replica/thread pair that passes and prunes longer waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findKneeRate } from '../../src/tune/knee.js';
import { Ledger } from '../../src/tune/ledger.js';
import { costOf } from '../../src/tune/cost.js';
import { searchThroughput } from '../../src/tune/search-throughput.js';
import { costLevels, pruneLongerWaits, searchCost } from '../../src/tune/search-cost.js';
import { configKey, grid } from '../../src/tune/space.js';
import { neighbours } from '../../src/tune/neighbours.js';
import type { TuneConfig, TuneSpace } from '../../src/tune/types.js';
import { fakeHost, fakeKnee, fakeProbe } from './fake-landscape.js';

const resources = { resources: { cpus: 1, gpus: 0, memoryBytes: 1024 ** 3 } };
const space: TuneSpace = { batchSizes: [1, 8, 16, 32], batchWaitsMs: [0, 2, 5, 10], replicas: [1], threads: [1, 2] };
const ledgerFor = (s: TuneSpace) => new Ledger(grid(s), (c, r) => costOf(c, resources, r));
const opts = { tolerance: 0.05, minPerSec: 1, maxPerSec: 100_000 };

test('bisection on the rate brackets the knee and narrows it to the tolerance', async () => {
  const c: TuneConfig = { maxBatchSize: 16, batchWaitMs: 5, replicas: 1, threads: 1 };
  const host = fakeHost();
  const ledger = ledgerFor(space);
  const r = await findKneeRate(host, ledger, c, { ...opts, startPerSec: 100 });
  const knee = fakeKnee(c);
  assert.ok(
    typeof r.kneePerSec === 'number' && r.kneePerSec <= knee && r.kneePerSec >= knee / 1.05,
    `knee ${r.kneePerSec} of ${knee}`,
  );
  assert.ok(host.count <= 10, `${host.count} measurements`);
  assert.equal(ledger.get(c).kneePerSec, r.kneePerSec);
  assert.equal(ledger.get(c).result?.ratePerSec, r.kneePerSec, 'the knee probe stands for the candidate');

  // From above the knee it shrinks; a configuration that fails everything has no knee.
  const down = await findKneeRate(fakeHost(), ledgerFor(space), c, { ...opts, startPerSec: 5000 });
  assert.ok(typeof down.kneePerSec === 'number' && down.kneePerSec >= knee / 1.05 && down.kneePerSec <= knee);
  const never = await findKneeRate(
    fakeHost((x, rate) => fakeProbe(x, rate, 0)),
    ledgerFor(space),
    c,
    { ...opts, startPerSec: 50 },
  );
  assert.equal(never.kneePerSec, null);
});

test('a candidate that misses at the best rate so far costs one measurement', async () => {
  const c: TuneConfig = { maxBatchSize: 8, batchWaitMs: 0, replicas: 1, threads: 1 };
  const host = fakeHost();
  const ledger = ledgerFor(space);
  const r = await findKneeRate(host, ledger, c, { ...opts, startPerSec: 700, mustReach: 700 });
  assert.deepEqual(r, { kneePerSec: undefined, belowPerSec: 700 });
  assert.equal(host.count, 1);
  assert.equal(ledger.get(c).passed, false);
  assert.equal(ledger.get(c).belowPerSec, 700);
});

test('hill climbing finds a knee within 10% of the exhaustive best in under a third of its measurements', async () => {
  const points = grid(space);
  const start: TuneConfig = { maxBatchSize: 16, batchWaitMs: 5, replicas: 1, threads: 1 };
  const full = fakeHost();
  const fullLedger = ledgerFor(space);
  const best = await searchThroughput(full, fullLedger, {
    space,
    points,
    start,
    firstRatePerSec: 200,
    exhaustive: true,
    ...opts,
  });
  assert.equal(
    fullLedger.all().filter((c) => c.status === 'measured').length,
    points.length,
    'exhaustive measures every point',
  );
  const smart = fakeHost();
  const smartLedger = ledgerFor(space);
  const found = await searchThroughput(smart, smartLedger, {
    space,
    points,
    start,
    firstRatePerSec: 200,
    exhaustive: false,
    ...opts,
  });
  assert.ok(best && found);
  const bestKnee = fullLedger.get(best).kneePerSec!;
  const foundKnee = smartLedger.get(found).kneePerSec!;
  assert.ok(
    foundKnee >= 0.9 * bestKnee,
    `found ${configKey(found)} at ${foundKnee}, best ${configKey(best)} at ${bestKnee}`,
  );
  assert.ok(smart.count * 3 <= full.count, `${smart.count} measurements against ${full.count}`);
  assert.ok(smartLedger.all().filter((c) => c.status === 'measured').length < points.length);
});

test('neighbours step one value along each axis, the direction that paid off first', () => {
  const c: TuneConfig = { maxBatchSize: 16, batchWaitMs: 0, replicas: 1, threads: 1 };
  const steps = neighbours(space, c, { prefer: { axis: 'threads', direction: 1 } });
  assert.deepEqual(
    steps.map((s) => configKey(s.config)),
    ['b16-w0-r1-t2', 'b32-w0-r1-t1', 'b8-w0-r1-t1', 'b16-w2-r1-t1'],
  );
});

test('cost: the cheapest replica/thread pair with a passing batching wins; longer waits after a latency miss are pruned', async () => {
  const s: TuneSpace = { batchSizes: [8, 16, 32], batchWaitsMs: [0, 2, 5], replicas: [1, 2, 3], threads: [1, 2] };
  const points = grid(s);
  const rate = 1000;
  // One replica never keeps up at 1000 req/s; two with batch 32 do; a batch of 8 misses p99 while keeping up.
  const probe = (c: TuneConfig, r: number) => {
    const p = fakeProbe(c, r);
    if (c.replicas >= 2 && c.maxBatchSize === 8)
      return { ...p, passed: false, achievedPerSec: r, overloaded: false, missed: ['p99 120ms > 100ms'], score: 1.2 };
    return p;
  };
  const priced = (c: TuneConfig) => costOf(c, { ...resources, cost: { cpuHour: 0.05 } });
  assert.deepEqual(
    costLevels(points, priced).map((l) => `${l[0]!.replicas}x${l[0]!.threads}`),
    ['1x1', '1x2', '2x1', '3x1', '2x2', '3x2'],
  );
  const host = fakeHost(probe);
  const ledger = ledgerFor(s);
  const found = await searchCost(host, ledger, {
    space: s,
    points,
    start: { maxBatchSize: 8, batchWaitMs: 0, replicas: 1, threads: 1 },
    ratePerSec: rate,
    exhaustive: false,
    costOf: priced,
  });
  assert.ok(found);
  assert.equal(found.replicas, 2);
  assert.equal(found.threads, 1);
  assert.ok(ledger.get(found).passed);
  assert.ok(fakeKnee(found) >= rate);
  assert.ok(
    ledger.all().every((c) => c.config.replicas < 3 || c.status !== 'measured'),
    'no dearer pair was measured',
  );

  const all = fakeHost(probe);
  const allLedger = ledgerFor(s);
  const exhaustive = await searchCost(all, allLedger, {
    space: s,
    points,
    start: points[0]!,
    ratePerSec: rate,
    exhaustive: true,
    costOf: priced,
  });
  assert.equal(all.count, points.length);
  assert.deepEqual(
    { ...exhaustive, maxBatchSize: 0, batchWaitMs: 0 },
    { ...found, maxBatchSize: 0, batchWaitMs: 0 },
    'the same cheapest pair',
  );
  assert.ok(host.count < all.count / 3, `${host.count} measurements against ${all.count}`);
});

test('a latency miss while keeping up prunes bigger-or-equal batches with longer waits of the same pair, and nothing else', () => {
  const s: TuneSpace = { batchSizes: [8, 16, 32], batchWaitsMs: [0, 2, 5], replicas: [1, 2], threads: [1] };
  const ledger = ledgerFor(s);
  const c: TuneConfig = { maxBatchSize: 16, batchWaitMs: 2, replicas: 1, threads: 1 };
  const miss = { ...fakeProbe(c, 100), passed: false, achievedPerSec: 100, missed: ['p99 120ms > 100ms'], score: 1.2 };
  pruneLongerWaits(ledger, { points: grid(s) }, c, miss);
  const pruned = ledger
    .all()
    .filter((x) => x.status === 'pruned')
    .map((x) => configKey(x.config));
  assert.deepEqual(pruned, ['b16-w5-r1-t1', 'b32-w5-r1-t1']);
  assert.match(
    ledger.get({ ...c, batchWaitMs: 5 }).note!,
    /batch 16 within 2ms already missed p99 120ms > 100ms while keeping up/,
  );
  // Not when it could not keep up (more waiting may form bigger batches and help).
  const other = ledgerFor(s);
  pruneLongerWaits(other, { points: grid(s) }, c, {
    ...miss,
    achievedPerSec: 60,
    missed: ['p99 120ms > 100ms', 'answered 60.0 of 100.0 req/s (under 90%)'],
  });
  assert.equal(other.all().filter((x) => x.status === 'pruned').length, 0);
});
