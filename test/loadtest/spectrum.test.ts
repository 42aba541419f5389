// The percentile spectrum of a histogram (loadtest, pure): evenly spaced in nines, ending at the
// slowest value where the data ends, capped at six nines, empty without data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeHistogram, newHistogram, recordMs, summarize } from '../../src/loadtest/histogram.js';
import { percentileSpectrum, SPECTRUM_MAX_NINES } from '../../src/loadtest/spectrum.js';

const nines = (q: number) => -Math.log10(1 - q / 100);

test('1000 values: points evenly spaced in nines up to 99.9%, values from the histogram, the max at the end', () => {
  const h = newHistogram();
  for (let ms = 1; ms <= 1000; ms++) recordMs(h, ms);
  const points = percentileSpectrum(encodeHistogram(h), { maxMs: summarize(h).maxMs, pointsPerNine: 10 });
  assert.equal(points.length, 31, 'three nines of ten points each, and 0%');
  assert.equal(points[0]!.percentile, 0);
  for (let i = 1; i < points.length; i++) {
    assert.ok(Math.abs(nines(points[i]!.percentile) - i / 10) < 1e-9, `point ${i} at ${points[i]!.percentile}`);
    assert.ok(points[i]!.valueMs >= points[i - 1]!.valueMs, 'never decreasing');
  }
  const at = (q: number) => points.find((p) => Math.abs(p.percentile - q) < 1e-9)!.valueMs;
  // Three significant digits: within 0.1% of the true value.
  assert.ok(Math.abs(at(90) - 900) <= 1, `p90 ${at(90)}`);
  assert.ok(Math.abs(at(99) - 990) <= 1, `p99 ${at(99)}`);
  assert.equal(points[points.length - 1]!.percentile, 99.9);
  assert.equal(points[points.length - 1]!.valueMs, 1000, 'the last point is the slowest value, given exactly');
  // Without it, the top of the slowest value's bucket (three significant digits).
  const approx = percentileSpectrum(encodeHistogram(h), { pointsPerNine: 10 });
  assert.ok(Math.abs(approx[approx.length - 1]!.valueMs - 1000) <= 1);
});

test('data deeper than six nines is cut at 99.9999%; between grid points the data end gets its own point', () => {
  const deep = newHistogram();
  deep.recordValueWithCount(2000, 10_000_000);
  deep.recordValue(900_000);
  const points = percentileSpectrum(encodeHistogram(deep), { pointsPerNine: 4 });
  assert.equal(points.length, SPECTRUM_MAX_NINES * 4 + 1);
  assert.ok(Math.abs(points[points.length - 1]!.percentile - 99.9999) < 1e-9);
  assert.ok(
    points.every((p) => Math.abs(p.valueMs - 2) < 0.01),
    'one slow request in ten million is beyond six nines',
  );

  const h = newHistogram();
  for (let i = 0; i < 50; i++) recordMs(h, 10 + i);
  const short = percentileSpectrum(encodeHistogram(h), { maxMs: summarize(h).maxMs, pointsPerNine: 4 });
  const last = short[short.length - 1]!;
  assert.ok(Math.abs(nines(last.percentile) - Math.log10(50)) < 1e-9, 'ends at 1 - 1/N');
  assert.equal(last.valueMs, 59);
  assert.ok(nines(short[short.length - 2]!.percentile) < nines(last.percentile));
});

test('an empty histogram or none at all gives no points; one value gives one', () => {
  assert.deepEqual(percentileSpectrum(''), []);
  assert.deepEqual(percentileSpectrum(encodeHistogram(newHistogram())), []);
  const one = newHistogram();
  recordMs(one, 7);
  assert.deepEqual(percentileSpectrum(encodeHistogram(one), { maxMs: 7 }), [{ percentile: 0, valueMs: 7 }]);
});
