// `serve --version` (issue 16): the version comes from package.json at run time, the commit from git
// only in a checkout, and a missing, failing or hanging git never fails the command; bin/serve.js
// without a compiled dist/ says what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { outDir, repoRoot } from '../helpers/paths.js';
import { hasTool } from '../helpers/tools.js';
import { serve } from './cli-run.js';

const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

function tempDir(t: { after(fn: () => void): void }, prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A PATH whose `git` is the given shell script (node stays reachable for bin/serve.js). */
function fakeGitPath(t: { after(fn: () => void): void }, script: string): string {
  const dir = tempDir(t, 'serve-fake-git-');
  writeFileSync(path.join(dir, 'git'), `#!/bin/sh\n${script}\n`);
  chmodSync(path.join(dir, 'git'), 0o755);
  return `${dir}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}/usr/bin${path.delimiter}/bin`;
}

test('serve --version in the checkout prints the package version and the commit of HEAD', async (t) => {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' });
  if (!hasTool('git') || head.status !== 0) {
    t.skip('not a git checkout, or git is missing: nothing to compare the commit with');
    return;
  }
  const cwd = tempDir(t, 'serve-version-');
  const run = await serve(['--version'], { cwd });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, `${version} (git ${head.stdout.trim()})\n`);
  assert.equal(run.stderr, '');
});

test('serve --version reads the version from package.json at run time and adds no commit outside a checkout', async (t) => {
  // A copy of the compiled package with another version and no .git, as an installed package is.
  const root = tempDir(t, 'serve-version-pkg-');
  cpSync(path.join(outDir, 'src'), path.join(root, 'dist', 'src'), { recursive: true });
  cpSync(path.join(repoRoot, 'bin'), path.join(root, 'bin'), { recursive: true });
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'));
  writeFileSync(
    path.join(root, 'package.json'),
    JSON.stringify({ name: 'serve-cluster', version: '9.8.7-test', type: 'module' }),
  );
  const cwd = tempDir(t, 'serve-version-cwd-');
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'serve.js'), '--version'], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '9.8.7-test\n');
});

test('serve --version still prints the version when git fails or prints nonsense', async (t) => {
  for (const script of ['echo "fatal: not a git repository" >&2; exit 128', 'echo "not a commit"; exit 0']) {
    const run = await serve(['--version'], {
      cwd: tempDir(t, 'serve-version-'),
      env: { PATH: fakeGitPath(t, script) },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${version}\n`, script);
  }
});

test('serve --version does not wait for a hanging git: the version alone within the git timeout', async (t) => {
  const started = Date.now();
  const run = await serve(['--version'], {
    cwd: tempDir(t, 'serve-version-'),
    env: { PATH: fakeGitPath(t, 'exec sleep 30') },
    timeoutMs: 20_000,
  });
  const elapsedMs = Date.now() - started;
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, `${version}\n`);
  // 2 s of git timeout plus Node's start-up; far below the 30 s the fake git would hang.
  assert.ok(elapsedMs < 10_000, `took ${elapsedMs}ms`);
});

test('bin/serve.js without a compiled dist/ says so in one line and exits 70, no stack trace', async (t) => {
  const root = tempDir(t, 'serve-no-dist-');
  cpSync(path.join(repoRoot, 'bin'), path.join(root, 'bin'), { recursive: true });
  writeFileSync(
    path.join(root, 'package.json'),
    JSON.stringify({ name: 'serve-cluster', version: '0.0.0', type: 'module' }),
  );
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'serve.js'), '--version'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 70);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /^serve: internal error: .*dist\/src\/cli\/main\.js is missing: in a checkout run `npm run build`/,
  );
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});
