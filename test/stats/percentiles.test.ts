// The statistics core on synthetic data with known answers: exact percentiles, determinism, the
// point-estimate fallback, and the coverage of the intervals checked by simulation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentileIntervals, pooledQuantile, buildGrid, windowsFromSamples } from '../../src/stats/index.js';
import { synthesize, truePercentile, type SyntheticRun } from './synthetic.js';

test('pooled percentiles follow the HdrHistogram rule (first value reaching ceil(p*N))', () => {
  const grid = buildGrid(
    windowsFromSamples([
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
    ]),
  );
  assert.equal(pooledQuantile(grid, 0.5), 5);
  assert.equal(pooledQuantile(grid, 0.99), 10);
  assert.equal(pooledQuantile(grid, 0.1), 1);
  assert.equal(pooledQuantile(grid, 0.11), 2);
});

test('the same windows and seed give the same interval; another seed a slightly different one', () => {
  const w = synthesize({ medianMs: 20, sigma: 0.5, seconds: 20, perSecond: 100 }, 3);
  const a = percentileIntervals(w, [0.5, 0.99], { confidence: 0.95, seed: 1 });
  const b = percentileIntervals(w, [0.5, 0.99], { confidence: 0.95, seed: 1 });
  assert.deepEqual(a, b);
  const c = percentileIntervals(w, [0.5, 0.99], { confidence: 0.95, seed: 2 });
  assert.equal(c[0]!.estimateMs, a[0]!.estimateMs);
  assert.equal(a[1]!.method, 'block-bootstrap');
  assert.ok(a[1]!.lowMs < a[1]!.estimateMs && a[1]!.estimateMs < a[1]!.highMs);
});

test('a p99 from a few hundred requests, or a run of few seconds, is a point estimate that says so', () => {
  const short = synthesize({ medianMs: 20, sigma: 0.5, seconds: 10, perSecond: 30 }, 4);
  const [p50, p99] = percentileIntervals(short, [0.5, 0.99], { confidence: 0.95, seed: 1 });
  assert.equal(p50!.method, 'block-bootstrap');
  assert.equal(p99!.method, 'point');
  assert.equal(p99!.lowMs, p99!.estimateMs);
  assert.match(p99!.note!, /too few samples for an interval \(300 < 2000\)/);
  const fewSeconds = synthesize({ medianMs: 20, sigma: 0.5, seconds: 5, perSecond: 1000 }, 4);
  assert.match(percentileIntervals(fewSeconds, [0.5], { confidence: 0.95, seed: 1 })[0]!.note!, /too few seconds/);
});

test('confidence 0 gives the point estimates of today, with no note', () => {
  const w = synthesize({ medianMs: 20, sigma: 0.5, seconds: 20, perSecond: 200 }, 5);
  const [p99] = percentileIntervals(w, [0.99], { confidence: 0, seed: 1 });
  assert.equal(p99!.method, 'point');
  assert.equal(p99!.note, undefined);
  assert.equal(p99!.lowMs, p99!.highMs);
});

/** Share of `sims` runs whose interval holds the true percentile. */
function coverage(run: SyntheticRun, fraction: number, sims: number, blockWindows?: number): number {
  const truth = truePercentile(run, fraction);
  let hits = 0;
  for (let s = 0; s < sims; s++) {
    const [iv] = percentileIntervals(synthesize(run, 1000 + s), [fraction], {
      confidence: 0.95,
      seed: s,
      replicates: 300,
      blockWindows,
    });
    assert.equal(iv!.method, 'block-bootstrap');
    if (iv!.lowMs <= truth && truth <= iv!.highMs) hits++;
  }
  return hits / sims;
}

test('95% intervals hold the true percentile in about 95% of simulated runs (independent seconds)', () => {
  const run = { medianMs: 20, sigma: 0.6, seconds: 20, perSecond: 150 };
  const p50 = coverage(run, 0.5, 60);
  const p95 = coverage(run, 0.95, 60);
  assert.ok(p50 >= 0.85, `p50 coverage ${p50}`);
  assert.ok(p95 >= 0.85, `p95 coverage ${p95}`);
});

test('with seconds that slow down together, window blocks keep coverage; resampling single requests does not', () => {
  // A slowdown shared by every request of a second, drifting from second to second.
  const run = { medianMs: 20, sigma: 0.4, tau: 0.25, phi: 0.5, seconds: 30, perSecond: 100 };
  const blocks = coverage(run, 0.5, 60);
  assert.ok(blocks >= 0.85, `block bootstrap coverage ${blocks}`);
  // The same requests treated as independent (one request a window, no blocks) claim far too much.
  const truth = truePercentile(run, 0.5);
  let naiveHits = 0;
  for (let s = 0; s < 30; s++) {
    const perRequest = synthesize(run, 1000 + s).flatMap((w) =>
      w.valuesMs.flatMap((v, i) => Array.from({ length: w.counts[i]! }, () => ({ valuesMs: [v], counts: [1] }))),
    );
    const [iv] = percentileIntervals(perRequest, [0.5], {
      confidence: 0.95,
      seed: s,
      replicates: 200,
      blockWindows: 1,
    });
    if (iv!.lowMs <= truth && truth <= iv!.highMs) naiveHits++;
  }
  assert.ok(naiveHits / 30 < blocks - 0.2, `naive ${naiveHits / 30} vs blocks ${blocks}`);
});
