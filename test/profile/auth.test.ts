// The gateway's tokens and TLS files in a profile: tokens from the environment or a private file,
// hashed as they load, named, with quotas; every problem located, and no message showing a token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashToken } from '../../src/common/auth.js';
import { parseProfile } from '../../src/profile/parse.js';
import { parseTokensText } from '../../src/profile/tokens-file.js';
import { base, problemsOf } from './helpers.js';

const ALICE = 'alice-3f9a0c1d2e4b5a6978';
const BOB = 'bob-77e1c0ffee1234567890';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-auth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('tokens from the environment are hashed as they load, named, and carry their quotas', () => {
  const p = parseProfile(
    `${base}gateway:
  auth:
    tokens:
      - "\${ALICE_TOKEN}"
      - { name: bob, token: "\${BOB_TOKEN}", requests_per_second: 50, burst: 100 }
`,
    'p.yaml',
    { ALICE_TOKEN: ALICE, BOB_TOKEN: BOB },
    '/work',
  );
  assert.deepEqual(p.gateway.auth, {
    tokens: [
      { name: 'token-1', sha256: hashToken(ALICE) },
      { name: 'bob', sha256: hashToken(BOB), requestsPerSecond: 50, burst: 100 },
    ],
    openHealth: true,
    openMetrics: false,
  });
  assert.ok(!JSON.stringify(p).includes(ALICE) && !JSON.stringify(p).includes(BOB), 'the Profile holds no plain token');
});

test('no auth section, no authentication; open_health and open_metrics apply', () => {
  assert.equal(parseProfile(base, 'p.yaml', {}, '/work').gateway.auth, undefined);
  const p = parseProfile(
    `${base}gateway:\n  auth:\n    tokens: ["${ALICE}"]\n    open_health: false\n    open_metrics: true\n`,
    'p.yaml',
    {},
    '/work',
  );
  assert.deepEqual([p.gateway.auth?.openHealth, p.gateway.auth?.openMetrics], [false, true]);
});

test('a weak or malformed token is located by its item and never shown, even when written in the file', () => {
  const problems = problemsOf(
    `${base}gateway:\n  auth:\n    tokens:\n      - "\${SHORT}"\n      - "has spaces in it, 12345"\n      - { token: "${ALICE}", name: "no/slash" }\n      - { token: "${BOB}", rps: 5 }\n`,
    { SHORT: 'tiny-secret' },
  );
  const messages = problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`).sort();
  assert.deepEqual(messages, [
    '6:7 gateway.auth.tokens: item 1: the token is 11 characters long, fewer than 16 (e.g. `openssl rand -hex 32` makes 64)',
    '6:7 gateway.auth.tokens: item 2: the token holds characters a bearer token cannot carry (use A-Z a-z 0-9 - . _ ~ + /, e.g. `openssl rand -hex 32`)',
    '6:7 gateway.auth.tokens: item 3: name must be letters, digits, ".", "_" or "-", starting with a letter or digit, at most 64',
    '6:7 gateway.auth.tokens: item 4: not valid here, expected a list of tokens, each a string such as "${API_TOKEN}" or {token, name, requests_per_second, burst}',
  ]);
  for (const secret of ['tiny-secret', 'has spaces', ALICE, BOB])
    assert.ok(!messages.join('\n').includes(secret), `a message shows ${secret}`);
});

test('a missing variable in a token is named; an empty list is refused', () => {
  const [missing] = problemsOf(`${base}gateway:\n  auth:\n    tokens: ["\${NOT_SET}"]\n`);
  assert.match(missing!.message, /environment variable NOT_SET is not set/);
  const [empty] = problemsOf(`${base}gateway:\n  auth:\n    tokens: []\n`);
  assert.match(empty!.message, /expected a list of tokens/);
});

test('a tokens file must be private: mode 0644 is refused with the fix, 0600 is read', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'tokens');
  writeFileSync(file, `# clients\nci ${ALICE} requests_per_second=20 burst=40\n\n${BOB}\n`, { mode: 0o644 });
  chmodSync(file, 0o644);
  const yaml = `${base}gateway:\n  auth:\n    tokens_file: tokens\n`;
  const [open] = problemsOf(yaml.replace('tokens_file: tokens', `tokens_file: ${file}`));
  assert.equal(open!.path, 'gateway.auth.tokens_file');
  assert.equal(
    open!.message,
    `${file} has mode 0644, so others can read or change the tokens in it: run \`chmod 600 ${file}\``,
  );
  chmodSync(file, 0o600);
  const p = parseProfile(yaml, 'p.yaml', {}, dir);
  assert.deepEqual(p.gateway.auth?.tokens, [
    { name: 'ci', sha256: hashToken(ALICE), requestsPerSecond: 20, burst: 40 },
    { name: 'token-2', sha256: hashToken(BOB) },
  ]);
  const [none] = problemsOf(`${base}gateway:\n  auth:\n    tokens_file: ${path.join(dir, 'nope')}\n`);
  assert.match(none!.message, /nope does not exist: give the path of a file of tokens, one a line/);
});

test('problems in a tokens file point at its line; names and tokens must be unique across list and file', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'tokens');
  writeFileSync(file, `bob ${ALICE}\nshort-one\na b c\nx ${BOB} burst=0\n`, { mode: 0o600 });
  const problems = problemsOf(
    `${base}gateway:\n  auth:\n    tokens: [{ name: bob, token: "${ALICE}" }]\n    tokens_file: ${file}\n`,
  );
  const lines = problems.map((p) => `${p.file}:${p.line} ${p.message}`);
  assert.deepEqual(
    lines.sort(),
    [
      `${file}:2 this line: the token is 9 characters long, fewer than 16 (e.g. \`openssl rand -hex 32\` makes 64)`,
      `${file}:3 expected \`[name] token [requests_per_second=N] [burst=N]\`: too many words on the line`,
      `${file}:4 burst must be a whole number from 1 to 1000000`,
      `p.yaml:6 ${file} line 1: the name "bob" is taken by gateway.auth.tokens item 1: give each token its own name`,
      `p.yaml:6 ${file} line 1 is the same token as gateway.auth.tokens item 1: list each token once`,
    ].sort(),
  );
  assert.ok(!lines.join('\n').includes(ALICE) && !lines.join('\n').includes(BOB));
});

test('the tokens file format: comments, blank lines, an optional name and options after the token', () => {
  const r = parseTokensText(`  # a comment\n\n${ALICE}\nbob ${BOB} requests_per_second=2.5\n`);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.tokens, [
    { sha256: hashToken(ALICE), line: 3 },
    { name: 'bob', sha256: hashToken(BOB), requestsPerSecond: 2.5, line: 4 },
  ]);
});

test('TLS needs both files; relative paths are taken from the directory serve runs in', () => {
  const p = parseProfile(
    `${base}gateway:\n  tls:\n    cert: tls/cert.pem\n    key: /etc/serve/key.pem\n`,
    'p.yaml',
    {},
    '/work',
  );
  assert.deepEqual(p.gateway.tls, { certPath: '/work/tls/cert.pem', keyPath: '/etc/serve/key.pem' });
  const [problem] = problemsOf(`${base}gateway:\n  tls:\n    cert: cert.pem\n`);
  assert.deepEqual(
    [problem!.path, problem!.message],
    [
      'gateway.tls.cert',
      'gateway.tls.key is missing: TLS needs both the certificate chain and its private key (PEM files)',
    ],
  );
});
