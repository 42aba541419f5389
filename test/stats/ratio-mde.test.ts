// Ratio intervals of two runs, the minimum detectable effect, and the error-rate and throughput
// intervals, on synthetic data with known answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  errorRateInterval,
  mdeForLength,
  ratioIntervals,
  secondsToDecide,
  secondsToDetect,
  throughputInterval,
  tQuantile,
  wilson,
  zTwoSided,
} from '../../src/stats/index.js';
import { synthesize } from './synthetic.js';

const run = { medianMs: 20, sigma: 0.5, seconds: 20, perSecond: 200 };

test('A/A: the ratio interval of two runs of one server holds 1 in most runs', () => {
  let holds = 0;
  for (let s = 0; s < 20; s++) {
    const [p50, p95] = ratioIntervals(synthesize(run, 100 + s), synthesize(run, 200 + s), [0.5, 0.95], {
      confidence: 0.95,
      seed: s,
      replicates: 300,
    });
    if (p50!.low <= 1 && 1 <= p50!.high && p95!.low <= 1 && 1 <= p95!.high) holds++;
    assert.ok(p50!.mde! > 0 && p50!.mde! < 0.2, `mde ${p50!.mde}`);
  }
  assert.ok(holds >= 16, `${holds}/20 held 1`);
});

test('a candidate 25% slower: its ratio interval lies wholly above 1.10 at p50 and p95', () => {
  for (let s = 0; s < 10; s++) {
    const [p50, p95] = ratioIntervals(synthesize(run, 300 + s, 1.25), synthesize(run, 400 + s), [0.5, 0.95], {
      confidence: 0.95,
      seed: s,
      replicates: 300,
    });
    assert.ok(p50!.low > 1.1, `p50 low ${p50!.low}`);
    assert.ok(p95!.low > 1.1, `p95 low ${p95!.low}`);
    assert.ok(Math.abs(p50!.ratio - 1.25) < 0.06, `p50 ratio ${p50!.ratio}`);
  }
});

test('a ratio without enough samples is a point ratio with a note', () => {
  const short = { ...run, perSecond: 10 };
  const [p99] = ratioIntervals(synthesize(short, 1), synthesize(short, 2), [0.99], { confidence: 0.95, seed: 1 });
  assert.equal(p99!.method, 'point');
  assert.equal(p99!.mde, null);
  assert.match(p99!.note!, /too few samples/);
});

test('minimum detectable effect and the length to detect an effect are inverse; length quarters the noise by four', () => {
  const se = 0.05;
  const mde30 = mdeForLength(se, 30, 30, 0.95);
  // (1.96 + 0.8416) * sqrt(2) * 0.05 in log space.
  assert.ok(Math.abs(Math.log1p(mde30) - 2.8016 * Math.SQRT2 * 0.05) < 1e-3);
  assert.ok(Math.abs(Math.log1p(mdeForLength(se, 30, 120, 0.95)) - Math.log1p(mde30) / 2) < 1e-9);
  assert.ok(Math.abs(secondsToDetect(se, 30, mde30, 0.95) - 30) < 1e-6);
});

test('seconds to decide: an interval twice as wide as the gap needs four times the length', () => {
  // estimate 90, target 100, upper edge at 90 * (100/90)^2: half-width twice the gap in log space.
  const high = 90 * (100 / 90) ** 2;
  assert.ok(Math.abs(secondsToDecide(90, 80, high, 100, 30) - 120) < 1e-6);
  assert.equal(secondsToDecide(100, 90, 110, 100, 30), Number.POSITIVE_INFINITY);
});

test('normal and t quantiles', () => {
  assert.ok(Math.abs(zTwoSided(0.95) - 1.959964) < 1e-5);
  assert.ok(Math.abs(tQuantile(0.975, 9) - 2.262) < 0.01);
  assert.ok(Math.abs(tQuantile(0.975, 30) - 2.042) < 0.005);
});

test('error rate: zero failures give [0, 0] (they meet a 0% target); a few failures at least the Wilson interval', () => {
  const clean = Array.from({ length: 20 }, () => ({ ok: 100, errors: 0 }));
  assert.deepEqual(errorRateInterval(clean, { confidence: 0.95, seed: 1 }), {
    estimate: 0,
    low: 0,
    high: 0,
    method: 'point',
  });
  const [wl, wh] = wilson(10, 100, 0.95);
  assert.ok(Math.abs(wl - 0.0552) < 1e-3 && Math.abs(wh - 0.1744) < 1e-3);
  const some = clean.map((w, i) => (i === 3 ? { ok: 99, errors: 1 } : w));
  const iv = errorRateInterval(some, { confidence: 0.95, seed: 1 });
  assert.equal(iv.estimate, 1 / 2000);
  assert.ok(iv.low <= wilson(1, 2000, 0.95)[0] && iv.high >= wilson(1, 2000, 0.95)[1]);
});

test('throughput: the mean successes per second with a bootstrap interval around it', () => {
  const ws = Array.from({ length: 20 }, (_, i) => ({ ok: i % 2 === 0 ? 190 : 210, errors: 0 }));
  const iv = throughputInterval(ws, { confidence: 0.95, seed: 1 });
  assert.equal(iv.estimate, 200);
  assert.ok(iv.low < 200 && iv.high > 200 && iv.low > 190 && iv.high < 210);
});
