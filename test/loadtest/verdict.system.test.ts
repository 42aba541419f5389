// `serve bench` verdicts with confidence as a user runs them (loadtest, child processes): the JSON
// verdict and each check's interval and outcome, exit 1 for a target missed beyond its interval,
// and one line with exit 2 for a bad --confidence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serve as runServe, type CliResult } from '../e2e/cli-run.js';
import { startFakeServer } from './oip-server.js';

/** `serve <args>` here, as CI would run it. */
function serve(args: string[]): Promise<CliResult> {
  return runServe(args, { cwd: process.cwd(), env: { CI: 'true' }, timeoutMs: 60_000 });
}

// 8 s: the fewest seconds (MIN_WINDOWS of src/stats/bootstrap.ts) for which p50 gets an interval.
test('an 8 s run: each check has ciLow/ciHigh/outcome, a target missed beyond its interval fails with verdict "fail"', async (t) => {
  const server = await startFakeServer({ delayMs: 5 });
  t.after(() => server.close());
  const r = await serve([
    'bench',
    '--url',
    server.url,
    '--rps',
    '200',
    '--duration',
    '8s',
    '--warmup',
    '0',
    '--json',
    '--p50',
    '2s',
    '--p99',
    '1ms',
    '--error-rate',
    '0%',
  ]);
  assert.equal(r.code, 1, r.stderr);
  const json = JSON.parse(r.stdout);
  // Missed by 50x: no generator lag explains it, so it fails even on a loaded machine.
  assert.equal(json.verdict, 'fail');
  assert.equal(typeof json.audit.sentLateShare, 'number');
  assert.equal(typeof json.audit.eventLoopDelayP99Ms, 'number');
  assert.equal(typeof json.audit.loadAverage1m, 'number');
  assert.equal(json.gates.confidence, 0.95);
  const [p50, p99, errors] = json.gates.checks;
  assert.equal(p50.outcome, 'met');
  assert.equal(p50.method, 'block-bootstrap');
  assert.ok(p50.ciLow <= p50.actual && p50.actual <= p50.ciHigh && p50.ciHigh < 2000, JSON.stringify(p50));
  assert.equal(p99.outcome, 'missed');
  assert.ok(p99.ciLow > 1, JSON.stringify(p99));
  assert.equal(errors.outcome, 'met');
  // With --json the table goes to stderr: it shows the interval beside the figure, and the audit line.
  assert.match(r.stderr, /p50\s+[\d.]+ms \[[\d.]+ms-[\d.]+ms\]/);
  assert.match(r.stderr, /generator: [\d.]+% sent late, .* host load [\d.]+ on \d+ CPUs/);
});

test('--confidence that is not a percentage: one line naming the flag, exit 2', async () => {
  const r = await serve(['bench', '--url', 'http://127.0.0.1:9', '--confidence', '0.95']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--confidence 0.95: give a percentage from 50 to 99.9/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
