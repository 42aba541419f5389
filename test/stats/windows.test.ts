// buildGrid on windows that share, miss and repeat values: the merged grid against a plain Set and sort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGrid } from '../../src/stats/index.js';
import { seededRandom } from '../../src/common/random.js';

test('buildGrid: the grid is every distinct value of all windows, ascending, and each window points at its own values', () => {
  const random = seededRandom(5);
  const windows = Array.from({ length: 40 }, (_, k) => {
    // Overlapping, disjoint and empty windows, values drawn from a small set so most are shared.
    const values = [
      ...new Set(
        Array.from({ length: k % 7 === 0 ? 0 : 30 }, () => Math.round(random() * 200) / 4 + (k % 5 === 0 ? 1000 : 0)),
      ),
    ];
    values.sort((a, b) => a - b);
    return { valuesMs: values, counts: values.map((_, i) => i + 1) };
  });
  const grid = buildGrid(windows);
  const expected = [...new Set(windows.flatMap((w) => w.valuesMs))].sort((a, b) => a - b);
  assert.deepEqual([...grid.gridMs], expected);
  windows.forEach((w, k) => {
    assert.deepEqual(
      [...grid.index[k]!].map((i) => grid.gridMs[i]),
      w.valuesMs,
    );
    assert.equal(
      grid.totals[k],
      w.counts.reduce((a, b) => a + b, 0),
    );
  });
  assert.equal(buildGrid([]).gridMs.length, 0);
});
