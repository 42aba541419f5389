// `serve bench --against`, `--calibrate` and `--baseline` with windows as a user runs them (loadtest,
// child processes, stand-in servers on loopback): equal servers are not a regression, a candidate
// twice as slow is (exit 1), calibration prints the minimum detectable effect per percentile, and
// a saved run's windows give a --baseline comparison its interval. The three runs go side by side.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serve as runServe, type CliResult } from '../e2e/cli-run.js';
import { startFakeServer } from './oip-server.js';

/** `serve <args>` here, as CI would run it. */
function serve(args: string[]): Promise<CliResult> {
  return runServe(args, { cwd: process.cwd(), env: { CI: 'true' }, timeoutMs: 90_000 });
}

// 8 s a side at 300 req/s: 8 windows and 2,400 answers a side, enough for a p99 interval.
const load = ['--rps', '300', '--duration', '8s', '--warmup', '0', '--json'];

describe('comparisons', { concurrency: true }, () => {
  test('--against an equal server: not a regression (exit 0 or 4), each percentile with ratio, interval and mde; the saved run is a --baseline with windows', async (t) => {
    const [a, b] = [await startFakeServer({ delayMs: 20 }), await startFakeServer({ delayMs: 20 })];
    const slow = await startFakeServer({ delayMs: 40 });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-compare-'));
    t.after(async () => {
      await Promise.all([a.close(), b.close(), slow.close()]);
      await rm(dir, { recursive: true, force: true });
    });
    const r = await serve(['bench', '--url', a.url, '--against', b.url, ...load]);
    assert.notEqual(r.code, 1, r.stderr);
    assert.ok(r.code === 0 || r.code === 4, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.notEqual(json.comparison.verdict, 'regression');
    assert.equal(json.comparison.baseline.source, 'against');
    for (const p of ['p50', 'p95', 'p99']) {
      const c = json.comparison.percentiles[p];
      assert.equal(c.method, 'block-bootstrap', `${p}: ${JSON.stringify(c)}`);
      assert.ok(c.ciLow <= c.ratio && c.ratio <= c.ciHigh && c.mde > 0, `${p}: ${JSON.stringify(c)}`);
    }
    assert.ok(json.windows.latencyUs.length >= 8, 'windows');
    assert.ok(json.against.windows.latencyUs.length >= 8, 'baseline windows');
    assert.equal(json.against.target.url, b.url);
    assert.match(r.stderr, /compared with http:\/\/127\.0\.0\.1:\d+ \(interleaved, 8 blocks of 2\.00s \(ABBAABBA/);

    // The candidate's saved run as a --baseline for a server twice as slow: judged on the ratio's interval;
    // the same file without its windows (an older file): point estimates, with a note. Both run at once.
    const file = path.join(dir, 'base.json');
    const oldFile = path.join(dir, 'old.json');
    await writeFile(file, r.stdout);
    await writeFile(oldFile, JSON.stringify({ ...json, windows: undefined }));
    const [slower, plain] = await Promise.all([
      serve(['bench', '--url', slow.url, '--baseline', file, ...load]),
      serve(['bench', '--url', slow.url, '--baseline', oldFile, '--rps', '300', '--duration', '2s', '--json']),
    ]);
    const s = JSON.parse(slower.stdout);
    assert.match(s.comparison.notes.join(' '), /the baseline ran at another time/);
    const p50 = s.gates.checks.find(
      (c: { kind: string; metric: string }) => c.kind === 'baseline' && c.metric === 'p50',
    );
    assert.equal(p50.method, 'block-bootstrap', JSON.stringify(p50));
    assert.match(p50.note, /another time/);
    // A host stalled by other work can make the generator unreliable (exit 4): that is an honest answer too.
    if (s.verdict !== 'unreliable') {
      assert.equal(slower.code, 1, slower.stderr);
      assert.equal(s.comparison.verdict, 'regression');
      assert.equal(p50.outcome, 'missed');
    } else t.diagnostic(`--baseline run unreliable on this host: ${s.audit.reason}`);

    const pj = JSON.parse(plain.stdout);
    assert.equal(pj.comparison.percentiles.p50.method, 'point');
    assert.match(pj.comparison.notes.join(' '), /no per-second windows: compared on point estimates/);
  });

  test('--against a baseline twice as fast: regression, exit 1', async (t) => {
    const [fast, slow] = [await startFakeServer({ delayMs: 20 }), await startFakeServer({ delayMs: 40 })];
    t.after(() => Promise.all([fast.close(), slow.close()]));
    const r = await serve(['bench', '--url', slow.url, '--against', fast.url, ...load]);
    const json = JSON.parse(r.stdout);
    // Unless the generator itself fell behind (a host stalled by other work): then no clean verdict, exit 4.
    if (json.verdict === 'unreliable') {
      assert.equal(r.code, 4, r.stderr);
      t.diagnostic(`--against run unreliable on this host: ${json.audit.reason}`);
      return;
    }
    assert.equal(r.code, 1, r.stderr);
    assert.equal(json.verdict, 'fail');
    assert.equal(json.comparison.verdict, 'regression', r.stderr);
    const p50 = json.comparison.percentiles.p50;
    assert.ok(p50.ciLow > 1.1 && Math.abs(p50.ratio - 2) < 0.5, JSON.stringify(p50));
    assert.match(r.stderr, /REGRESSION: a ratio's interval lies wholly above 1\.10/);
  });

  test('--calibrate --json: the minimum detectable effect per percentile and the length to detect --max-regression', async (t) => {
    const server = await startFakeServer({ delayMs: 20 });
    t.after(() => server.close());
    const r = await serve(['bench', '--url', server.url, '--calibrate', '--max-regression', '5%', ...load]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    for (const p of ['p50', 'p95', 'p99']) {
      assert.ok(json.mde[p] > 0, `${p}: ${JSON.stringify(json.mde)}`);
      assert.ok(json.calibration.secondsToDetect[p] > 0, JSON.stringify(json.calibration));
    }
    assert.equal(json.calibration.maxRegression, 0.05);
    assert.equal(json.calibration.durationMsPerSide >= 8000, true);
  });
});

test('--against with --baseline, or with a ramp: one line naming the flag, exit 2', async () => {
  const both = await serve([
    'bench',
    '--url',
    'http://127.0.0.1:9',
    '--against',
    'http://127.0.0.1:9',
    '--baseline',
    'x.json',
  ]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--against measures its own baseline: leave out --baseline x\.json/);
  const ramp = await serve(['bench', '--url', 'http://127.0.0.1:9', '--calibrate', '--rps', '10:20:10']);
  assert.equal(ramp.code, 2);
  assert.match(ramp.stderr, /--calibrate: give one rate/);
});
