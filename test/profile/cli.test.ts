// `serve validate` as a user runs it: exit codes, the summary, --json, and every problem on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cliEntry } from '../helpers/paths.js';

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
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-validate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a shipped profile validates: exit 0 and a summary', async (t) => {
  const dir = await tempDir(t);
  const r = serve(['validate', 'market-hours'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /market-hours\.yaml: ok \(profile "market-hours"\)/);
  assert.match(r.stdout, /replicas {4}5-30, start 5/);
  assert.match(r.stdout, /targets {5}p50 50ms p95 80ms p99 100ms max 200ms errors <= 1% 200 req\/s \(at least 50\)/);
});

test('--json prints the normalized profile', async (t) => {
  const dir = await tempDir(t);
  const r = serve(['validate', 'local', '--json'], dir, { SERVE_PORT: '0' });
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout) as { name: string; gateway: { port: number }; model: { registry: string } };
  assert.equal(p.name, 'local');
  assert.equal(p.gateway.port, 0);
  assert.equal(p.model.registry, path.join(dir, 'models'));
});

test('a bad profile: exit 2 and every problem on stderr', async (t) => {
  const dir = await tempDir(t);
  await writeFile(
    path.join(dir, 'bad.yaml'),
    'model:\n  name: cnn-lstm\nreplicas:\n  min: 5\n  max: 3\nhealth:\n  peroid: 1s\n',
  );
  const r = serve(['validate', 'bad.yaml'], dir);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    [
      'serve: error: profile bad.yaml has 2 problems:',
      '  bad.yaml:4:8 replicas.min: got 5, expected at most replicas.max (3)',
      '  bad.yaml:7:3 health.peroid: unknown key "peroid" in health, did you mean "period"?',
      '',
    ].join('\n'),
  );
  const j = serve(['validate', 'bad.yaml', '--json'], dir);
  assert.equal(j.code, 2);
  const out = JSON.parse(j.stdout) as { ok: boolean; problems: { line: number; col: number; path: string }[] };
  assert.equal(out.ok, false);
  assert.deepEqual(
    out.problems.map((p) => [p.line, p.col, p.path]),
    [
      [4, 8, 'replicas.min'],
      [7, 3, 'health.peroid'],
    ],
  );
});

test('an unknown profile or none at all: exit 2 with one line', async (t) => {
  const dir = await tempDir(t);
  const unknown = serve(['validate', 'nope'], dir);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^serve: error: unknown profile "nope": .*Available: local, market-hours, off-hours/);
  const none = serve(['validate'], dir);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /needs a profile/);
});

test('--schema prints the JSON Schema', async (t) => {
  const dir = await tempDir(t);
  const r = serve(['validate', '--schema'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { title: string }).title, 'serve profile');
});

test('a Redis password from ${REDIS_URL} is never printed, and reaches the gateway only on stdin', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'cached.yaml');
  await writeFile(file, 'model:\n  name: cnn-lstm\ncache:\n  enabled: true\n  redis:\n    url: ${REDIS_URL}\n');
  const env = { REDIS_URL: 'redis://:hunter2-secret@cache.internal:6379/1' };
  for (const args of [
    ['validate', file],
    ['validate', file, '--json'],
  ]) {
    const r = serve(args, dir, env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes('hunter2'), r.stdout);
    assert.match(r.stdout, /cache\.internal:6379/);
  }
  const { loadProfile } = await import('../../src/profile/load.js');
  const { gatewayLaunch } = await import('../../src/cluster/launchers/child-args.js');
  const launch = gatewayLaunch(await loadProfile(file, { env: { ...process.env, ...env } }), { cliEntry: 'main.js' });
  assert.ok(!launch.args.join(' ').includes('hunter2'), 'not in argv');
  assert.match(launch.stdinLines[0]!, /"cacheRedisUrl":"redis:\/\/:hunter2-secret@cache\.internal:6379\/1"/);
});

test('a schedule validates with every profile it names; serve schedule show lists its switches in local time and UTC', async (t) => {
  const dir = await tempDir(t);
  const v = serve(['validate', 'trading-day'], dir);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /trading-day\.yaml: ok \(schedule "trading-day", 2 profiles checked\)/);
  assert.match(v.stdout, /window {6}market-hours mon,tue,wed,thu,fri 09:30-16:00, prewarm 5m/);
  assert.match(v.stdout, /market-hours\.yaml: ok \(profile "market-hours"\)/);
  const show = serve(['schedule', 'show', 'trading-day', '--from', '2026-11-23', '--days', '7'], dir);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /2026-11-27 13:00:00 EST +2026-11-27 18:00:00 +market-hours -> off-hours +early close/);
  assert.match(show.stdout, /closed all day \(the default profile\): 2026-11-26/);
  assert.doesNotMatch(show.stdout, /2026-11-26 09:30/);
  const dst = serve(['schedule', 'show', 'trading-day', '--from', '2026-03-06', '--days', '4', '--json'], dir);
  const listing = JSON.parse(dst.stdout) as { switches: Array<{ at: string; local: string }> };
  assert.deepEqual(
    listing.switches.map((s) => `${s.local} ${s.at}`),
    [
      '2026-03-06T09:30:00-05:00 2026-03-06T14:30:00.000Z',
      '2026-03-06T16:00:00-05:00 2026-03-06T21:00:00.000Z',
      '2026-03-09T09:30:00-04:00 2026-03-09T13:30:00.000Z',
      '2026-03-09T16:00:00-04:00 2026-03-09T20:00:00.000Z',
    ],
  );
  assert.equal(serve(['schedule', 'show', 'market-hours'], dir).code, 2, 'a single profile has no switches');
  assert.equal(serve(['schedule', 'show', 'trading-day', '--days', '0'], dir).code, 2);
});

test("--json names the profile's env: entries, never their values", async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'p.yaml'), 'model: { name: m }\nenv: { STORAGE_TOKEN: "${STORAGE_TOKEN}" }\n');
  const r = serve(['validate', 'p.yaml', '--json'], dir, { STORAGE_TOKEN: 'st-9f8e7d6c5b4a' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as { env: unknown }).env, { STORAGE_TOKEN: '(not shown)' });
  assert.ok(!r.stdout.includes('st-9f8e7d6c5b4a'));
});
