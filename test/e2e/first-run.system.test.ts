// The first path a new user takes (issue 8), in a fresh directory with no models: `serve up` with the
// shipped market-hours profile builds the demo model and starts in the background, `serve bench
// --rps 200` with neither --url nor --profile finds it and gates on its targets, `serve down` stops it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { laps } from '../helpers/laps.js';
import { repoRoot } from '../helpers/paths.js';
import { serve } from './cli-run.js';

test('fresh directory: up --detach market-hours (exit 3 where it does not fit), bench --rps 200, down', async (t) => {
  const lap = laps(t);
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'serve-first-'));
  const stateDir = path.join(cwd, '.serve');
  t.after(async () => {
    if (existsSync(path.join(stateDir, 'serve.pid'))) await serve(['down', '--timeout', '10s'], { cwd });
    rmSync(cwd, { recursive: true, force: true });
  });
  // SERVE_PORT=0: the shipped profile's port (8000) may be taken on a test machine.
  const env = { SERVE_PORT: '0' };
  const marketHours = path.join(repoRoot, 'profiles', 'market-hours.yaml');
  // Five 2-CPU replicas fit few test machines: `serve validate` says so, and `serve up` then exits 3
  // naming what is pending while leaving what started running (issue 21); bench and down still work.
  const fits = !/replicas\.min is 5 but this machine fits/.test(
    (await serve(['validate', marketHours], { cwd, env })).stderr,
  );
  const up = await serve(['up', '--profile', marketHours, '--detach'], { cwd, env, timeoutMs: 90_000 });
  assert.equal(up.code, fits ? 0 : 3, up.stderr);
  if (!fits) assert.match(up.stderr, /pending: does not fit: needs 2 CPUs.*\n.*ways out: --oversubscribe/);
  assert.match(up.stderr, /built the demo model cnn-lstm@1 in .*models\/cnn-lstm\/1/);
  assert.ok(existsSync(path.join(cwd, 'models', 'cnn-lstm', '1', 'model.onnx')));
  assert.equal(JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')).profileName, 'market-hours');

  lap('validate, up --detach');
  // 1 s measured after the default warmup: what is checked is that bench finds the cluster and its
  // profile's targets, not the figures.
  const bench = await serve(['bench', '--rps', '200', '--duration', '1s', '--json'], { cwd, timeoutMs: 60_000 });
  lap('bench');
  assert.equal(bench.code, 0, `${bench.stderr}\n${bench.stdout.slice(0, 1500)}`);
  const result = JSON.parse(bench.stdout) as {
    requests: { ok: number; errors: number };
    gates: { checks: Array<{ metric: string }> };
  };
  assert.equal(result.requests.errors, 0);
  // No --warmup: 2 s of it ran first (issue 21).
  assert.equal((result as unknown as { warmupMs: number }).warmupMs, 2000);
  assert.ok(result.requests.ok >= 180, `${result.requests.ok} ok`);
  assert.deepEqual(
    result.gates.checks.map((c) => c.metric).sort(),
    ['errorRate', 'max', 'minRps', 'p50', 'p95', 'p99'].sort(),
  );

  const down = await serve(['down'], { cwd, timeoutMs: 60_000 });
  assert.equal(down.code, 0, down.stderr);
  assert.equal(existsSync(path.join(stateDir, 'serve.pid')), false);
  lap('down');
});
