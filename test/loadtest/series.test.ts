// The per-second series: counts by the second things happened in, each second's percentiles, and an
// exact merge of worker threads' parts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recorder } from '../../src/loadtest/recorder.js';
import { PerSecondSeries, concatSeries, mergeSeries } from '../../src/loadtest/series.js';

test("a recorder counts sends, successes and failures by second, with that second's percentiles", () => {
  const r = new Recorder(1000, 2);
  for (let i = 0; i < 100; i++) {
    const t = 1000 + i * 10; // 100 a second during second 0
    r.sent(t, t);
    r.done(t, t, t + 5 + (i === 99 ? 500 : 0), { ok: true }); // one slow answer ends in second 1
  }
  r.sent(2500, 2500);
  r.done(2500, 2500, 3200, { ok: false, errorClass: 'http_503' }); // second 2
  r.error('not_sent'); // no time: the latest second seen
  const rows = r.series();
  assert.deepEqual(
    rows.map((x) => [x.second, x.sent, x.ok, x.errors]),
    [
      [0, 100, 99, 0],
      [1, 1, 1, 0],
      [2, 0, 0, 2],
    ],
  );
  assert.ok(Math.abs(rows[0]!.p50Ms - 5) < 0.01 && Math.abs(rows[0]!.maxMs - 5) < 0.01, JSON.stringify(rows[0]));
  assert.ok(Math.abs(rows[1]!.p99Ms - 505) < 1, JSON.stringify(rows[1]));
  assert.equal(rows[2]!.p50Ms, 0, 'no success, no latency');
});

test('seconds with nothing in them are zero rows; ramp steps line up one after another', () => {
  const s = new PerSecondSeries(0, false);
  s.sent(100);
  s.ok(3100, 20);
  assert.deepEqual(
    s.finish().map((x) => [x.second, x.sent, x.ok]),
    [
      [0, 1, 0],
      [1, 0, 0],
      [2, 0, 0],
      [3, 0, 1],
    ],
  );
  const joined = concatSeries([
    { rows: [{ second: 0, sent: 1, ok: 1, errors: 0, p50Ms: 1, p99Ms: 1, maxMs: 1 }], offsetSeconds: 0 },
    { rows: [{ second: 0, sent: 2, ok: 2, errors: 0, p50Ms: 1, p99Ms: 1, maxMs: 1 }], offsetSeconds: 10 },
  ]);
  assert.deepEqual(
    joined.map((x) => [x.second, x.sent]),
    [
      [0, 1],
      [10, 2],
    ],
  );
});

test('worker parts merge exactly: counts add, percentiles come from the merged histograms', () => {
  const a = new PerSecondSeries(0, true);
  const b = new PerSecondSeries(0, true);
  for (let i = 0; i < 99; i++) a.ok(500, 10);
  b.ok(600, 900);
  b.sent(1500);
  const merged = mergeSeries([a.export(), b.export()]);
  assert.equal(merged.length, 2);
  assert.equal(merged[0]!.ok, 100);
  assert.ok(Math.abs(merged[0]!.p50Ms - 10) < 0.1);
  assert.ok(Math.abs(merged[0]!.maxMs - 900) < 1, 'the slow request of worker b is in the merged max');
  assert.equal(merged[1]!.sent, 1);
});
