// The A/B comparison on synthetic runs with known answers (loadtest, pure): the verdict of a ratio
// interval against 1 + --max-regression, a candidate 50% slower found, equal runs not called a
// regression, a baseline without windows on point estimates; the interleaving and its block length;
// the length an A/A calibration says is needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { abBlockMs, compareRuns, overallVerdict, ratioVerdict, sideOfBlock } from '../../src/loadtest/index.js';
import { ratioIntervals, secondsToDetectRatio, windowsFromSamples } from '../../src/stats/index.js';
import { seededRandom } from '../../src/common/random.js';
import type { LatencySummary } from '../../src/loadtest/index.js';
import type { WindowCounts } from '../../src/stats/index.js';
import { hdrRound, synthesize } from '../stats/synthetic.js';

const run = { medianMs: 20, sigma: 0.5, seconds: 20, perSecond: 200 };
const opts = { confidence: 0.95, seed: 1, maxRegression: 0.1 };
const against = { source: 'against' as const, url: 'http://b', startedAt: '2026-01-01T00:00:00.000Z' };

/** The pooled percentiles of synthetic windows, as a RunResult's latency summary would hold them. */
function summary(windows: WindowCounts[]): LatencySummary {
  const all: number[] = [];
  for (const w of windows) w.valuesMs.forEach((v, i) => all.push(...new Array<number>(w.counts[i]!).fill(v)));
  all.sort((a, b) => a - b);
  const at = (f: number) => all[Math.max(0, Math.ceil(f * all.length) - 1)]!;
  return {
    count: all.length,
    minMs: all[0]!,
    meanMs: all.reduce((a, b) => a + b, 0) / all.length,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p95Ms: at(0.95),
    p99Ms: at(0.99),
    p999Ms: at(0.999),
    maxMs: all.at(-1)!,
  };
}

const side = (w: WindowCounts[]) => ({ latency: summary(w), windows: w });

test('a ratio interval: regression wholly above 1 + max, no-regression wholly below, else inconclusive', () => {
  assert.equal(ratioVerdict(1.12, 1.4, 0.1), 'regression');
  assert.equal(ratioVerdict(0.9, 1.08, 0.1), 'no-regression');
  assert.equal(ratioVerdict(1.05, 1.15, 0.1), 'inconclusive');
  assert.equal(ratioVerdict(1.2, 1.2, 0.25), 'no-regression');
  assert.equal(overallVerdict(['no-regression', 'inconclusive', 'regression']), 'regression');
  assert.equal(overallVerdict(['no-regression', 'inconclusive']), 'inconclusive');
  assert.equal(overallVerdict(['no-regression', 'no-regression']), 'no-regression');
});

test('a candidate 50% slower at every percentile: regression, each ratio near 1.5 inside its interval', () => {
  const c = compareRuns(side(synthesize(run, 11, 1.5)), side(synthesize(run, 12)), opts, against);
  assert.equal(c.verdict, 'regression');
  for (const p of Object.values(c.percentiles)) {
    assert.equal(p.method, 'block-bootstrap');
    assert.ok(p.ciLow <= p.ratio && p.ratio <= p.ciHigh, JSON.stringify(p));
    assert.ok(Math.abs(p.ratio - 1.5) < 0.2, JSON.stringify(p));
    assert.ok(p.mde! > 0 && p.mde! < 0.5, JSON.stringify(p));
  }
  assert.equal(c.percentiles.p50.verdict, 'regression');
  assert.deepEqual(c.notes, []);
});

test('equal runs: never a regression in 10 seeded pairs; a file baseline says it ran at another time', () => {
  for (let s = 0; s < 10; s++) {
    const c = compareRuns(
      side(synthesize(run, 100 + s)),
      side(synthesize(run, 200 + s)),
      { ...opts, seed: s },
      against,
    );
    assert.notEqual(c.verdict, 'regression', JSON.stringify(c.percentiles));
  }
  const file = { ...against, source: 'file' as const, file: 'base.json' };
  const c = compareRuns(side(synthesize(run, 1)), side(synthesize(run, 2)), opts, file);
  assert.match(c.notes.join(' '), /the baseline ran at another time \(2026-01-01T00:00:00\.000Z\)/);
});

test("interleaved sides share the host's drift: paired windows cancel it, the interval is far narrower than unpaired and holds 1", () => {
  // Both sides see the same slowdown each second (a busy neighbour), with their own noise within it.
  const random = seededRandom(7);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const drift = Array.from({ length: 20 }, () => Math.exp(0.6 * gauss()));
  const sideOf = () =>
    windowsFromSamples(drift.map((d) => Array.from({ length: 200 }, () => hdrRound(20 * d * Math.exp(0.5 * gauss())))));
  const [a, b] = [sideOf(), sideOf()];
  const [paired] = ratioIntervals(a, b, [0.5], { confidence: 0.95, seed: 3, paired: true });
  const [unpaired] = ratioIntervals(a, b, [0.5], { confidence: 0.95, seed: 3 });
  assert.ok(paired!.low <= 1 && 1 <= paired!.high, JSON.stringify(paired));
  const width = (iv: typeof paired) => Math.log(iv!.high / iv!.low);
  assert.ok(
    width(paired) < 0.5 * width(unpaired),
    `paired ${JSON.stringify(paired)} unpaired ${JSON.stringify(unpaired)}`,
  );
  assert.ok(paired!.mde! < unpaired!.mde!);
});

test('a baseline without windows: point ratios with a note, judged on the point estimate', () => {
  const baseline = { latency: summary(synthesize(run, 2)) };
  const c = compareRuns(side(synthesize(run, 1, 2)), baseline, opts, against);
  assert.equal(c.percentiles.p95.method, 'point');
  assert.equal(c.percentiles.p95.mde, null);
  assert.equal(c.percentiles.p95.ciLow, c.percentiles.p95.ratio);
  assert.equal(c.verdict, 'regression');
  assert.match(c.notes.join(' '), /no per-second windows: compared on point estimates/);
});

test('interleaving: A B B A repeated, blocks of 5 s at most and at least 4 a side', () => {
  assert.equal(Array.from({ length: 8 }, (_, i) => (sideOfBlock(i) === 'candidate' ? 'A' : 'B')).join(''), 'ABBAABBA');
  assert.equal(abBlockMs(8000), 2000);
  assert.equal(abBlockMs(20_000), 5000);
  assert.equal(abBlockMs(600_000), 5000);
  assert.equal(abBlockMs(2000), 1000);
});

test('the length to detect an effect from an A/A pair: (z + z_power)·se / log(1 + effect), squared, times the length', () => {
  // (1.95996 + 0.84162) * 0.05 / ln(1.1) = 1.46993; squared 2.16069; 20 s measured.
  assert.ok(Math.abs(secondsToDetectRatio(0.05, 20, 0.1, 0.95) - 43.21) < 0.05);
  // Half the noise: a quarter of the length.
  assert.ok(Math.abs(secondsToDetectRatio(0.025, 20, 0.1, 0.95) - 43.21 / 4) < 0.02);
});
