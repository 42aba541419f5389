// ${VAR} references: expansion rules, defaults, escapes and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandEnv } from '../../src/profile/env.js';
import { parseProfile } from '../../src/profile/parse.js';
import { base, problemsOf } from './helpers.js';

test('expands set variables and defaults', () => {
  const env = { A: 'x', EMPTY: '' };
  assert.equal(expandEnv('${A}-${A}', env).value, 'x-x');
  assert.equal(expandEnv('${B:-dflt}', env).value, 'dflt');
  assert.equal(expandEnv('${EMPTY:-dflt}', env).value, 'dflt');
  assert.equal(expandEnv('${EMPTY-dflt}', env).value, '');
  assert.equal(expandEnv('${B-dflt}', env).value, 'dflt');
  assert.equal(expandEnv('$${A} costs $5', env).value, '${A} costs $5');
  assert.equal(expandEnv('plain', env).changed, false);
});

test('a missing variable or a bad reference is a problem naming it', () => {
  const missing = expandEnv('a ${NOPE} b', {});
  assert.deepEqual(
    missing.problems.map((p) => [p.index, p.ref]),
    [[2, '${NOPE}']],
  );
  assert.match(missing.problems[0]!.message, /^environment variable NOPE is not set .*\$\{NOPE:-value\}/);
  assert.match(expandEnv('${1X}', {}).problems[0]!.message, /"1X" is not a variable name/);
  assert.match(expandEnv('x ${OPEN', {}).problems[0]!.message, /^unclosed reference "\$\{OPEN"/);
});

test('an unquoted reference takes the type of its value; a quoted one stays a string', () => {
  const p = parseProfile(
    `${base}gateway:\n  port: \${PORT}\nautoscaling:\n  enabled: \${AUTO:-false}\n`,
    '',
    { PORT: '9001' },
    '/',
  );
  assert.equal(p.gateway.port, 9001);
  assert.equal(p.autoscaling.enabled, false);
  const problems = problemsOf(`${base}gateway:\n  port: "\${PORT}"\n`, { PORT: '9001' });
  // The value came from the environment: it is named, not shown; its kind says why it does not fit.
  assert.deepEqual(
    problems.map((x) => [x.line, x.col, x.path, x.message]),
    [[4, 9, 'gateway.port', 'got the value of ${PORT} (a string, not shown), expected an integer from 0 to 65535']],
  );
});

test('every missing variable is reported with its own line', () => {
  const problems = problemsOf(`${base}gateway:\n  host: \${H}\n  port: \${P}\n`);
  assert.deepEqual(
    problems.map((x) => `${x.line}:${x.col} ${x.path}`),
    ['4:9 gateway.host', '5:9 gateway.port'],
  );
});
