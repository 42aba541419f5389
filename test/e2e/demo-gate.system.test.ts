// End to end, as a user on a fresh clone: `serve demo` builds the demo model, serves it with the
// local profile, loads it at 200 req/s and gates on the profile's targets; then the CI flow of the
// README: `serve up --detach`, `serve bench --profile` as a gate (passing and failing), `serve down`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signalController } from '../../src/client/detached-cluster.js';
import { serve } from './cli-run.js';

function tempCwd(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('serve demo: 200 req/s against the local profile meets its targets and exits 0', async (t) => {
  const cwd = tempCwd(t);
  const run = await serve(['demo', '--duration', '4s', '--warmup', '1s', '--json'], { cwd, timeoutMs: 90_000 });
  assert.equal(run.code, 0, `exit ${run.code}\n${run.stderr}\n${run.stdout.slice(0, 2000)}`);
  const result = JSON.parse(run.stdout) as {
    rate: { requestedPerSec: number; achievedPerSec: number };
    requests: { ok: number; errors: number };
    latency: { p99Ms: number };
    gates: { passed: boolean; checks: unknown[] };
  };
  assert.equal(result.rate.requestedPerSec, 200);
  assert.ok(result.requests.ok >= 700, `only ${result.requests.ok} requests succeeded`);
  assert.equal(result.requests.errors, 0);
  assert.equal(result.gates.passed, true);
  assert.ok(result.gates.checks.length >= 5, 'the local profile gates p50, p95, p99, max, error rate and rate');
  assert.ok(existsSync(path.join(cwd, 'models', 'cnn-lstm', '1', 'model.onnx')), 'the demo model was built');
  assert.match(run.stderr, /built the demo model/);
});

test('CI flow: up --detach, bench --profile gates pass and fail with exit codes 0 and 1, down', async (t) => {
  // One hook, in this order: stop the cluster while its folder still exists, then remove the folder.
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'serve-e2e-'));
  let controllerPid: number | undefined;
  t.after(async () => {
    await serve(['down'], { cwd, timeoutMs: 30_000 }).catch(() => undefined);
    // A cleanup after a failed test: the controller and its group, which `serve down` may have stopped already.
    if (controllerPid !== undefined) signalController({ pid: controllerPid, leader: true }, 'SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  });
  const env = { SERVE_PORT: '0' };
  const model = await serve(['model', 'demo'], { cwd });
  assert.equal(model.code, 0, model.stderr);
  const up = await serve(['up', '--profile', 'local', '--detach', '--json'], { cwd, env, timeoutMs: 60_000 });
  assert.equal(up.code, 0, up.stderr);
  const upStatus = JSON.parse(up.stdout) as { controllerPid: number; gatewayUrl: string };
  controllerPid = upStatus.controllerPid;
  assert.match(upStatus.gatewayUrl, /^http:\/\/127\.0\.0\.1:\d+$/);

  const pass = await serve(
    ['bench', '--profile', 'local', '--rps', '200', '--warmup', '1s', '--duration', '2s', '--json'],
    { cwd, timeoutMs: 60_000 },
  );
  assert.equal(pass.code, 0, `${pass.stderr}\n${pass.stdout.slice(0, 1500)}`);
  const baselineFile = path.join(cwd, 'baseline.json');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(baselineFile, pass.stdout);

  // An impossible target must fail the gate with exit code 1 and say which target.
  const fail = await serve(
    ['bench', '--profile', 'local', '--rps', '200', '--duration', '1s', '--warmup', '0', '--p50', '0.05ms'],
    { cwd, timeoutMs: 60_000 },
  );
  assert.equal(fail.code, 1, fail.stderr);
  assert.match(fail.stdout, /p50[^\n]*FAIL/);

  const status = await serve(['status', '--json'], { cwd });
  assert.equal(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout) as { replicas: Array<{ state: string }> };
  assert.ok(s.replicas.filter((r) => r.state === 'ready').length >= 1);

  const down = await serve(['down'], { cwd, timeoutMs: 30_000 });
  assert.equal(down.code, 0, down.stderr);
  const after = await serve(['status'], { cwd });
  assert.equal(after.code, 3, 'nothing running: exit 3');
  assert.doesNotMatch(after.stderr, /\n\s+at /, 'no stack trace');
});
