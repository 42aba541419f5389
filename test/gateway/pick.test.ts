// Tests of the pure power-of-two-choices pick (gateway).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickP2C } from '../../src/gateway/pick.js';
import { seededRandom } from '../../src/common/random.js';

interface Item {
  name: string;
  load: number;
  usable: boolean;
}
const items = (...loads: number[]): Item[] => loads.map((load, i) => ({ name: `r${i}`, load, usable: true }));
const score = (it: Item) => (it.usable ? it.load : -1);

test('no items or none usable gives undefined', () => {
  assert.equal(pickP2C([], score, Math.random), undefined);
  const all = items(0, 0, 0).map((it) => ({ ...it, usable: false }));
  for (let k = 0; k < 20; k++) assert.equal(pickP2C(all, score, seededRandom(k)), undefined);
});

test('of the two samples the less loaded one wins', () => {
  // random 0 samples index 0, then index 1 (the second sample skips the first).
  const list = items(5, 1, 0);
  assert.equal(pickP2C(list, score, () => 0)?.name, 'r1');
  assert.equal(pickP2C(items(1, 5, 0), score, () => 0)?.name, 'r0');
});

test('the most loaded replica is never picked, the least loaded most often', () => {
  const list = items(1, 2, 3);
  const counts = new Map<string, number>();
  const random = seededRandom(42);
  for (let k = 0; k < 3000; k++) {
    const name = pickP2C(list, score, random)!.name;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  assert.equal(counts.get('r2') ?? 0, 0);
  // r0 wins every pair it is in: 2 of the 3 pairs.
  const r0 = counts.get('r0')! / 3000;
  assert.ok(r0 > 0.6 && r0 < 0.73, `r0 share ${r0}`);
});

test('equal loads spread evenly', () => {
  const list = items(0, 0, 0, 0);
  const counts = [0, 0, 0, 0];
  const random = seededRandom(7);
  for (let k = 0; k < 4000; k++) counts[Number(pickP2C(list, score, random)!.name.slice(1))]!++;
  for (const c of counts) assert.ok(c > 800 && c < 1200, `counts ${counts.join(',')}`);
});

test('unusable items are skipped and a lone usable one is always found', () => {
  const list = items(0, 0, 7, 0, 0);
  for (const it of list) it.usable = it.name === 'r2';
  const random = seededRandom(3);
  for (let k = 0; k < 200; k++) assert.equal(pickP2C(list, score, random)?.name, 'r2');
  assert.equal(pickP2C([list[2]!], score, random)?.name, 'r2');
});

test('when a sample is unusable and the other busy, a less loaded usable one elsewhere is found', () => {
  const list = items(9, 4, 0);
  list[0]!.usable = false;
  // samples r0 (unusable) and r1 (load 4): the scan finds r2 with load 0.
  assert.equal(pickP2C(list, score, () => 0)?.name, 'r2');
});
