// The alert rules against Prometheus' own tool: `promtool check rules` accepts what `serve alerts`
// writes for every shipped profile (and odd targets), and the shipped promtool unit tests show each
// alert firing on a synthetic series and staying quiet on a healthy one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliEntry, repoRoot } from '../helpers/paths.js';
import { needTool } from '../helpers/tools.js';

function run(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, SERVE_PORT: '' },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout, stderr: r.stderr };
}

test('promtool check rules accepts the rules of every shipped profile and of unusual targets', (t) => {
  if (!needTool(t, 'promtool', 'prometheus')) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-alerts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A whole-second p99 (matched as "1" or "1.0"), a fractional error rate, no GPU and no autoscaling.
  writeFileSync(
    path.join(dir, 'odd.yaml'),
    'name: odd\nmodel: { name: m }\nreplicas: { min: 2, max: 2 }\nslo: { p50: 200ms, p95: 500ms, p99: 1s, max: 2s, error_rate: 0.25% }\n',
  );
  for (const profile of ['market-hours', 'off-hours', 'local', './odd.yaml']) {
    const file = path.join(dir, `${path.basename(profile, '.yaml')}.rules.yml`);
    const written = run(process.execPath, [cliEntry, 'alerts', '--profile', profile, '--out', file], dir);
    assert.equal(written.code, 0, written.out);
    assert.match(written.stderr, /wrote \d+ alerting rules for profile/);
    const checked = run('promtool', ['check', 'rules', file], dir);
    assert.equal(checked.code, 0, `${profile}: ${checked.out}`);
    assert.match(checked.out, /SUCCESS: \d+ rules found/);
  }
  assert.match(readFileSync(path.join(dir, 'odd.rules.yml'), 'utf8'), /le=~"1\(\\\\\.0\)\?"/);
});

test('promtool test rules: every alert fires on its synthetic series and none on a healthy cluster', (t) => {
  if (!needTool(t, 'promtool', 'prometheus')) return;
  const r = run('promtool', ['test', 'rules', path.join('ops', 'tests', 'market-hours.test.yml')], repoRoot);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/);
});

test('serve alerts --json prints the same rules as data; a bad --out folder is one line, exit 2', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-alerts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const json = run(process.execPath, [cliEntry, 'alerts', '--profile', 'local', '--json'], dir);
  assert.equal(json.code, 0, json.out);
  const set = JSON.parse(json.stdout) as {
    profile: string;
    groups: Array<{ rules: Array<{ alert: string }> }>;
    skipped: string[];
  };
  assert.equal(set.profile, 'local');
  assert.ok(set.groups.flatMap((g) => g.rules).some((r) => r.alert === 'ServeLatencyAboveTarget'));
  assert.deepEqual(set.skipped, ['no GPU rule: resources.gpus is 0']);
  const bad = run(
    process.execPath,
    [cliEntry, 'alerts', '--profile', 'local', '--out', path.join(dir, 'missing', 'x.yml')],
    dir,
  );
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^serve: error: --out .*x\.yml: cannot write the file \(ENOENT\)/);
});
