// Commands agree on defaults (issue 21, item 3): `serve down` with nothing running exits 0,
// `serve tune` without --profile takes the profile of the cluster running in --state-dir (or says
// what to pass), and `serve start`/`serve stop` point at `up`/`down`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStartTicks } from '../../src/common/process.js';
import { serve } from './cli-run.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-defaults-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('serve down with nothing running says so and exits 0', async (t) => {
  const cwd = tempDir(t);
  const r = await serve(['down'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `nothing to stop: no cluster is running in ${path.join(cwd, '.serve')}\n`);
  assert.equal(r.stderr, '');
});

test('serve start and serve stop suggest up and down (exit 2)', async (t) => {
  const cwd = tempDir(t);
  for (const [theirs, ours] of [
    ['start', 'up'],
    ['stop', 'down'],
  ]) {
    const r = await serve([theirs!, '--profile', 'local'], { cwd });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `serve: error: unknown command '${theirs}': did you mean \`serve ${ours}\`? (see \`serve ${ours} --help\`)\n`,
    );
  }
});

test('serve tune without --profile and with no cluster running says what to pass in one line (exit 2)', async (t) => {
  const cwd = tempDir(t);
  const r = await serve(['tune'], { cwd });
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^serve: error: --profile: no cluster is running in .*\.serve to take the profile from: pass --profile NAME \(e\.g\. --profile local\), or start one with `serve up --profile NAME`\n$/,
  );
});

test('serve tune without --profile takes the profile of the cluster running in --state-dir', async (t) => {
  const cwd = tempDir(t);
  const stateDir = path.join(cwd, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  // A profile whose model is missing: tune reads it, then stops before starting anything.
  const profile = path.join(cwd, 'live.yaml');
  writeFileSync(
    profile,
    `name: live\nmodel: { name: not-here, version: 1, registry: ${JSON.stringify(path.join(cwd, 'models'))} }\n`,
  );
  // What `serve up` leaves: a pid file naming a live process (this one, with its start time) and state.json.
  writeFileSync(path.join(stateDir, 'serve.pid'), `${process.pid}\nstart=${readStartTicks(process.pid)}\n`, {
    mode: 0o600,
  });
  writeFileSync(
    path.join(stateDir, 'state.json'),
    JSON.stringify({
      version: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      profileName: 'live',
      profilePath: profile,
      gatewayUrl: 'http://127.0.0.1:1',
      adminSocket: path.join(stateDir, 'admin.sock'),
      model: { name: 'not-here', version: 1 },
      slo: {},
    }),
  );
  const r = await serve(['tune', '--state-dir', stateDir], { cwd });
  assert.match(
    r.stderr,
    new RegExp(
      `^tuning the profile of the cluster running in ${stateDir}: ${profile} \\(on a cluster of its own; --attach tunes the running one in place\\)\n`,
    ),
  );
  // The profile was loaded: its missing registry is what stops the run.
  assert.match(r.stderr, new RegExp(`serve: error: model registry "${path.join(cwd, 'models')}" does not exist`));
  assert.equal(r.code, 2, r.stderr);
});
