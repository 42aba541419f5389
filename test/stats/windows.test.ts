// buildGrid on windows that share, miss and repeat values: the merged grid against a plain Set and sort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGrid, gridOf } from '../../src/stats/index.js';
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

test('gridOf: the same window objects give the same grid; a different window gives a new one', () => {
  const w = (values: number[]) => ({ valuesMs: values, counts: values.map(() => 1) });
  const a = [w([1, 2]), w([2, 3]), w([5])];
  const g = gridOf(a);
  assert.equal(gridOf([...a]), g, 'a new array of the same windows');
  const other = gridOf([a[0]!, a[1]!, w([7])]);
  assert.notEqual(other, g);
  assert.deepEqual([...other.gridMs], [1, 2, 3, 7]);
  assert.deepEqual([...gridOf(a.slice(0, 2)).gridMs], [1, 2, 3], 'fewer windows');
  assert.equal(gridOf([]).gridMs.length, 0);
});
