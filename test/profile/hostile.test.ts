// Hostile or odd YAML in a profile (control plane): alias bombs, deep nesting, tags, values from the
// environment in messages, and files with very many problems. Each is a user error (exit 2) with a
// position, through the loader and through `serve validate`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadProfile } from '../../src/profile/load.js';
import { ProfileError, MAX_PRINTED_PROBLEMS } from '../../src/profile/problems.js';
import { MAX_NESTING_LEVELS } from '../../src/profile/yaml-limits.js';
import { cliEntry } from '../helpers/paths.js';
import { assertOneProblem, base, problemsOf } from './helpers.js';

function serve(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cliEntry, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, SERVE_PORT: '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-hostile-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** "Billion laughs": nine levels of nine aliases each, 9^9 strings if expanded, used as model.name. */
const aliasBomb = ['model:', '  name: *i'].join('\n');
const bombAnchors = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
for (const [prev, name] of [
  ['a', 'b'],
  ['b', 'c'],
  ['c', 'd'],
  ['d', 'e'],
  ['e', 'f'],
  ['f', 'g'],
  ['g', 'h'],
  ['h', 'i'],
] as const) {
  bombAnchors.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
}
/** The anchors live under a section whose values are checked one by one, then the bomb goes off. */
const bombText = `x_anchors:\n${bombAnchors.map((l) => `  ${l}`).join('\n')}\n${aliasBomb}\n`;

test('an alias bomb is refused with its position, not expanded', async (t) => {
  const problems = problemsOf(bombText);
  const bomb = problems.find((p) => p.path === 'model.name');
  assert.ok(bomb, JSON.stringify(problems));
  assert.deepEqual([bomb.line, bomb.col], [12, 9]);
  assert.match(bomb.message, /aliases \(\*name\) expand to more than 100 copies.*alias bomb/);

  // Through the loader and the CLI: exit 2 (a user error), not 70 (internal), and quickly.
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'bomb.yaml'), bombText);
  await assert.rejects(loadProfile('bomb.yaml', { cwd: dir, env: {} }), ProfileError);
  const t0 = performance.now();
  const r = serve(['validate', 'bomb.yaml'], dir);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^ {2}bomb\.yaml:12:9 model\.name: its aliases \(\*name\) expand to more than 100 copies/m);
  assert.doesNotMatch(r.stderr, /internal error|resource exhaustion/);
  assert.ok(performance.now() - t0 < 10_000);
});

test('a chain of aliases nesting deeper than the stack allows is refused at the value', () => {
  // Each anchor nests 30 levels (under the limit) around the previous one: 6,000 levels in all.
  const anchors = Array.from(
    { length: 200 },
    (_, i) => `  a${i}: &a${i} ${'['.repeat(30)}${i === 0 ? '1' : `*a${i - 1}`}${']'.repeat(30)}\n`,
  );
  const problems = problemsOf(`x:\n${anchors.join('')}model:\n  name: *a199\n`);
  const chained = problems.find((p) => p.path === 'model.name');
  assert.deepEqual(chained && [chained.line, chained.col, chained.message], [
    203,
    9,
    'its aliases (*name) nest too deeply to read: write the values out, or use fewer aliases',
  ]);
});

test('a few aliases of a plain value still work', () => {
  const p = problemsOf(`${base}x: &n 3\nreplicas:\n  min: *n\n  max: 1\n`);
  // Only the unknown key and the rule: the alias itself resolved to 3.
  assert.deepEqual(p.map((x) => x.path).sort(), ['replicas.min', 'x']);
  assert.match(p.find((x) => x.path === 'replicas.min')!.message, /^got 3, expected at most replicas\.max \(1\)/);
});

test('nesting deeper than the limit is refused at the first level too deep, flow or block', async (t) => {
  const flow = `${base}foo: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`;
  // Line 3 "foo: " then one "[" a level: the root mapping is level 1, so "[" number 32 is level 33.
  assertOneProblem(flow, {
    line: 3,
    col: 5 + MAX_NESTING_LEVELS,
    path: '',
    message: new RegExp(`^mappings and lists nest deeper than ${MAX_NESTING_LEVELS} levels here`),
  });
  const block = `${base}${Array.from({ length: 40 }, (_, i) => `${'  '.repeat(i)}k${i}:\n`).join('')}`;
  // k0's mapping is level 2 on line 4; level 33 (k30's value) starts on line 35, indented 64.
  assertOneProblem(block, {
    line: MAX_NESTING_LEVELS + 3,
    col: 1 + 2 * MAX_NESTING_LEVELS,
    path: '',
    message: /nest deeper than/,
  });
  // 32 levels are still read (and judged on their content).
  const deepest = `${base}foo: ${'['.repeat(MAX_NESTING_LEVELS - 1)}${']'.repeat(MAX_NESTING_LEVELS - 1)}\n`;
  assertOneProblem(deepest, { line: 3, col: 1, path: 'foo', message: /unknown key "foo"/ });

  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'deep.yaml'), `model:\n  name: ${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}\n`);
  const r = serve(['validate', 'deep.yaml'], dir);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr,
    [
      'serve: error: profile deep.yaml has 1 problem:',
      `  deep.yaml:2:${9 + 4 * (MAX_NESTING_LEVELS - 2)}: mappings and lists nest deeper than ${MAX_NESTING_LEVELS} levels here, which no profile needs (at most 4): flatten the structure`,
      '',
    ].join('\n'),
  );
});

test('a tag that turns a value into something else is named, not read as "a mapping"', async (t) => {
  assertOneProblem('model: !!binary\n  name: x\n', {
    line: 2,
    col: 3,
    path: 'model',
    message:
      /^got a value tagged !!binary \(profiles take plain YAML values: remove the tag\), expected a mapping with keys such as name/,
  });
  assertOneProblem('model: !!omap\n  - name: x\n', {
    line: 2,
    col: 3,
    path: 'model',
    message: /^got a value tagged !!omap .*expected a mapping/,
  });
  assertOneProblem('model:\n  name: !!binary eA==\n', {
    line: 2,
    col: 18,
    path: 'model.name',
    message: /^got a value tagged !!binary .*expected a model name/,
  });
  assertOneProblem('model:\n  name: !!timestamp 2001-12-14\n', {
    line: 2,
    col: 21,
    path: 'model.name',
    message: /^got a value tagged !!timestamp/,
  });
  assertOneProblem('model: !custom\n  name: x\n', {
    line: 2,
    col: 3,
    path: 'model',
    message: /^got a value tagged !custom/,
  });
  // Plain YAML's own tags still work.
  assert.equal(
    problemsOf(`${base}replicas: !!map\n  min: !!int 2\n  max: 1\n`)[0]!.message,
    'got 2, expected at most replicas.max (1)',
  );

  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'tagged.yaml'), 'model: !!binary\n  name: cnn-lstm\n');
  await assert.rejects(loadProfile('tagged.yaml', { cwd: dir, env: {} }), (err: unknown) => {
    assert.ok(err instanceof ProfileError);
    assert.doesNotMatch(err.details.join('\n'), /got a mapping, expected a mapping/);
    return true;
  });
  const r = serve(['validate', 'tagged.yaml'], dir);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr,
    [
      'serve: error: profile tagged.yaml has 1 problem:',
      '  tagged.yaml:2:3 model: got a value tagged !!binary (profiles take plain YAML values: remove the tag), expected a mapping with keys such as name, version, registry',
      '',
    ].join('\n'),
  );
});

/** Not a valid model name, host port or duration, so every field it goes into has a problem. */
const secret = 'sk-live/4f9a8b7c6d5e4f3a2b1c+Q=';

test('a value from the environment is never shown: problems name its ${VAR} reference', () => {
  const env = { API_KEY: secret, MIN: '5', MAX: '3', PORT: '9001' };
  const problems = problemsOf(
    [
      'model:',
      '  name: ${API_KEY}',
      'replicas:',
      '  min: ${MIN}',
      '  max: ${MAX}',
      'runtime:',
      '  device: "gpu-${API_KEY}"',
      'gateway:',
      '  port: "${PORT}"',
      '  request_timeout: ${API_KEY}',
      '',
    ].join('\n'),
    env,
  );
  const text = JSON.stringify(problems);
  assert.ok(!text.includes(secret), text);
  assert.ok(!text.includes('4f9a8b7c'), text);
  const by = (p: string) => problems.find((x) => x.path === p)?.message;
  assert.equal(
    by('model.name'),
    'got the value of ${API_KEY} (a string, not shown), expected a model name such as "cnn-lstm": letters, digits, ".", "_" or "-", starting with a letter or digit',
  );
  assert.match(by('runtime.device')!, /^got the value of "gpu-\$\{API_KEY\}" \(a string, not shown\), expected one of/);
  assert.match(by('gateway.port')!, /^got the value of \$\{PORT\} \(a string, not shown\), expected an integer/);
  assert.match(
    by('gateway.request_timeout')!,
    /^got the value of \$\{API_KEY\} \(a string, not shown\), expected a duration/,
  );
  // Cross-field rules name both references too.
  assert.equal(by('replicas.min'), 'got the value of ${MIN}, expected at most replicas.max (the value of ${MAX})');
});

test('a secret from the environment appears nowhere in `serve validate` output, text or --json', async (t) => {
  const dir = await tempDir(t);
  await writeFile(
    path.join(dir, 'p.yaml'),
    'model:\n  name: cnn-lstm\ngateway:\n  host: ${API_KEY}\n  port: ${API_KEY}\n',
  );
  for (const args of [
    ['validate', 'p.yaml'],
    ['validate', 'p.yaml', '--json'],
  ]) {
    const r = serve(args, dir, { API_KEY: secret });
    assert.equal(r.code, 2, r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes(secret), r.stdout + r.stderr);
    assert.match(r.stderr, /p\.yaml:5:9 gateway\.port: got the value of \$\{API_KEY\} \(a string, not shown\)/);
  }
});

test('at most 50 problems are printed, then one line counts the rest; --json has them all', async (t) => {
  const keys = Array.from({ length: 120 }, (_, i) => `zz${i}: 1\n`).join('');
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'many.yaml'), `${base}${keys}`);
  const err = await loadProfile('many.yaml', { cwd: dir, env: {} }).then(
    () => assert.fail('expected problems'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProfileError);
  assert.equal(err.problems.length, 120);
  assert.equal(err.details.length, MAX_PRINTED_PROBLEMS + 1);
  assert.equal(err.details.at(-1), 'and 70 more (serve validate --json lists every one)');

  const r = serve(['validate', 'many.yaml'], dir);
  assert.equal(r.code, 2);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines[0], 'serve: error: profile many.yaml has 120 problems:');
  assert.equal(lines.length, 1 + MAX_PRINTED_PROBLEMS + 1);
  assert.equal(lines.at(-1), '  and 70 more (serve validate --json lists every one)');
  const j = serve(['validate', 'many.yaml', '--json'], dir);
  assert.equal((JSON.parse(j.stdout) as { problems: unknown[] }).problems.length, 120);
});
