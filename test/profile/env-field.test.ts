// The profile's env: (profile/schema.ts): a mapping of variable names to strings, each problem one
// line naming the entry; ${VAR} references expand as anywhere else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProfile } from '../../src/profile/parse.js';
import { assertOneProblem, base, problemsOf } from './helpers.js';

test('env: names to strings, kept as written; ${VAR} expands; absent or empty: no env', () => {
  const p = parseProfile(
    `${base}env:\n  HF_HOME: /data/hf\n  OMP_NUM_THREADS: "4"\n  _X: ""\n  TOKEN: "\${MY_TOKEN}"\n`,
    'p.yaml',
    { MY_TOKEN: 'abc' },
    '/work',
  );
  assert.deepEqual(p.env, { HF_HOME: '/data/hf', OMP_NUM_THREADS: '4', _X: '', TOKEN: 'abc' });
  assert.equal(parseProfile(base, 'p.yaml', {}, '/work').env, undefined);
  assert.equal(parseProfile(`${base}env: {}\n`, 'p.yaml', {}, '/work').env, undefined);
});

test('env: a bad name, a value that is not a string, or no mapping is one line naming the entry', () => {
  assertOneProblem(`${base}env:\n  1BAD: x\n`, {
    line: 4,
    col: 3,
    path: 'env',
    message: /^got the key "1BAD", expected a variable name: letters, digits and "_", not starting with a digit$/,
  });
  assertOneProblem(`${base}env:\n  A-B: x\n`, { line: 4, col: 3, path: 'env', message: /got the key "A-B"/ });
  assertOneProblem(`${base}env:\n  THREADS: 4\n`, {
    line: 4,
    col: 12,
    path: 'env.THREADS',
    message: /^got 4, expected a string \(quote numbers and true\/false: "1"\)$/,
  });
  assertOneProblem(`${base}env:\n  EMPTY:\n`, {
    line: 4,
    col: 9,
    path: 'env.EMPTY',
    message: /is empty, expected a string/,
  });
  assertOneProblem(`${base}env: [A, B]\n`, {
    line: 3,
    col: 6,
    path: 'env',
    message: /got a list, expected a mapping of/,
  });
  // Every problem is reported, not just the first.
  assert.equal(problemsOf(`${base}env:\n  1A: x\n  B: true\n`).length, 2);
});
