// The pure parts of the gateway's migration servers (gateway): the weighted choice, parsing the
// external servers, and what makes a shadow answer agree with ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatExternalServers, parseExternalServers, pickWeighted } from '../../src/gateway/external.js';
import { answersAgree, outputsOf } from '../../src/gateway/shadow/compare.js';

test('pickWeighted: each server takes its percent of the draws, the replicas (-1) the rest', () => {
  const w = [25, 10];
  assert.equal(pickWeighted(w, 0), 0);
  assert.equal(pickWeighted(w, 0.2499), 0);
  assert.equal(pickWeighted(w, 0.25), 1);
  assert.equal(pickWeighted(w, 0.3499), 1);
  assert.equal(pickWeighted(w, 0.35), -1);
  assert.equal(pickWeighted(w, 0.9999), -1);
  assert.equal(pickWeighted([], 0), -1);
  assert.equal(pickWeighted([100], 0.9999), 0, 'at 100% the replicas get no first tries');
  // Exact shares over an even grid of draws.
  const counts = new Map<number, number>();
  for (let i = 0; i < 10_000; i++) {
    const k = pickWeighted([12.5, 40], i / 10_000);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries(counts), { 0: 1250, 1: 4000, [-1]: 4750 });
});

test('parseExternalServers: URL=PERCENT items, one-line errors naming the item', () => {
  assert.deepEqual(parseExternalServers('http://a:8080=20, https://b.example=5%'), [
    { url: 'http://a:8080', weightPercent: 20 },
    { url: 'https://b.example', weightPercent: 5 },
  ]);
  assert.equal(formatExternalServers(parseExternalServers('http://a:8080=12.5')), 'http://a:8080=12.5');
  assert.throws(
    () => parseExternalServers('ftp://a=10'),
    /external server 1 .*expected an http:\/\/ or https:\/\/ base URL/,
  );
  assert.throws(() => parseExternalServers('http://a:1/v2=10'), /base URL/);
  assert.throws(() => parseExternalServers('http://a:1'), /expected URL=PERCENT/);
  assert.throws(() => parseExternalServers('http://a:1=-1'), /from 0 to 100/);
  assert.deepEqual(
    parseExternalServers('http://a:1=0'),
    [{ url: 'http://a:1', weightPercent: 0 }],
    'at 0 it only takes over',
  );
  assert.throws(() => parseExternalServers('http://a:1=60,http://b:1=50'), /add up to 110%, expected at most 100%/);
});

const out = (data: unknown, shape: number[] = [1, 3], name = 'y') => ({ name, shape, datatype: 'FP32', data });

test('answersAgree: the same predicted class in every row agrees, whatever the scores', () => {
  assert.equal(answersAgree([out([0.1, 0.7, 0.2])], [out([0.3, 0.4, 0.3])]), true);
  assert.equal(answersAgree([out([0.1, 0.7, 0.2])], [out([0.5, 0.4, 0.1])]), false);
  // Two rows: both must agree; nested data is flattened.
  assert.equal(
    answersAgree(
      [out([0, 1, 0, 1, 0, 0], [2, 3])],
      [
        out(
          [
            [0, 2, 0],
            [3, 0, 0],
          ],
          [2, 3],
        ),
      ],
    ),
    true,
  );
  assert.equal(answersAgree([out([0, 1, 0, 1, 0, 0], [2, 3])], [out([0, 1, 0, 0, 0, 1], [2, 3])]), false);
  assert.equal(answersAgree([out([0, 1, 0])], [out([0, 1])]), false, 'a different element count never agrees');
});

test('answersAgree: one value per row agrees within max(0.001, 1%), names match, other types compare equal', () => {
  assert.equal(answersAgree([out([100], [1, 1])], [out([100.9], [1, 1])]), true);
  assert.equal(answersAgree([out([100], [1, 1])], [out([101.1], [1, 1])]), false);
  assert.equal(answersAgree([out([0], [1])], [out([0.0009], [1])]), true);
  assert.equal(answersAgree([out([0], [1])], [out([0.002], [1])]), false);
  // Matched by name when there are several; a single output on each side matches whatever its name.
  assert.equal(
    answersAgree([out([0, 1, 0], [1, 3], 'a'), out([5], [1], 'b')], [out([5], [1], 'b'), out([0, 2, 1], [1, 3], 'a')]),
    true,
  );
  assert.equal(
    answersAgree([out([0, 1, 0], [1, 3], 'a'), out([5], [1], 'b')], [out([0, 2, 1], [1, 3], 'a')]),
    false,
    'an output missing on their side',
  );
  assert.equal(answersAgree([out([0, 1, 0], [1, 3], 'probs')], [out([0, 1, 0], [1, 3], 'output_0')]), true);
  assert.equal(answersAgree([out(['cat'], [1])], [out(['cat'], [1])]), true);
  assert.equal(answersAgree([out(['cat'], [1])], [out(['dog'], [1])]), false);
  assert.equal(answersAgree([], []), false, 'no outputs: nothing agreed');
  assert.equal(outputsOf({ error: 'x' }), undefined);
  assert.deepEqual(outputsOf({ outputs: [] }), []);
});
