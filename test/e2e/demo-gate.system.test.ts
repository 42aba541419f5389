// End to end, as a user on a fresh clone: `serve demo` builds the demo model, serves it with the
// local profile, loads it at 200 req/s and gates on the profile's targets. The CI flow of the README
// (`serve up --detach`, `serve bench --profile` as a gate passing and failing, `serve down`) runs on
// the cluster of test/docs/github-actions.system.test.ts, which starts one anyway.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from './cli-run.js';

function tempCwd(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('serve demo: 200 req/s against the local profile meets its targets and exits 0', async (t) => {
  const cwd = tempCwd(t);
  // 2 s measured after 1 s of warmup: enough for the gate to judge, not a measurement of the demo.
  const run = await serve(['demo', '--duration', '2s', '--warmup', '1s', '--json'], { cwd, timeoutMs: 90_000 });
  assert.equal(run.code, 0, `exit ${run.code}\n${run.stderr}\n${run.stdout.slice(0, 2000)}`);
  const result = JSON.parse(run.stdout) as {
    rate: { requestedPerSec: number; achievedPerSec: number };
    requests: { ok: number; errors: number };
    latency: { p99Ms: number };
    gates: { passed: boolean; checks: unknown[] };
  };
  assert.equal(result.rate.requestedPerSec, 200);
  assert.ok(result.requests.ok >= 350, `only ${result.requests.ok} requests succeeded`);
  assert.equal(result.requests.errors, 0);
  assert.equal(result.gates.passed, true);
  assert.ok(result.gates.checks.length >= 5, 'the local profile gates p50, p95, p99, max, error rate and rate');
  assert.ok(existsSync(path.join(cwd, 'models', 'cnn-lstm', '1', 'model.onnx')), 'the demo model was built');
  assert.match(run.stderr, /built the demo model/);
});
