// What `serve tune` shows (pure rendering, and flag checks through the CLI): the ranked table with
// the recommendation and its reason; the HTML page is self-contained, its plots SVG written into the
// file with the targets drawn; every flag problem is reported at once with exit code 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderTune, renderTuneProgress, tuneHtml } from '../../src/cli/tune-render.js';
import { costOf } from '../../src/tune/cost.js';
import { outcome } from '../../src/tune/rank.js';
import type { Candidate, TuneConfig, TuneReport } from '../../src/tune/types.js';
import { serve } from '../e2e/cli-run.js';
import { fakeProbe } from './fake-landscape.js';

const resources = { resources: { cpus: 1, gpus: 0, memoryBytes: 1024 ** 3 }, cost: { cpuHour: 0.04 } };

function report(): TuneReport {
  const cand = (c: TuneConfig, knee: number | undefined, below?: number): Candidate => {
    const probes = [fakeProbe(c, 200), fakeProbe(c, 400), fakeProbe(c, 300)];
    const result = knee === undefined ? probes[1]! : probes.find((p) => p.ratePerSec === knee)!;
    return { config: c, status: 'measured', probes, result, passed: knee !== undefined, kneePerSec: knee, belowPerSec: below, cost: costOf(c, resources, result.achievedPerSec) };
  };
  const all: Candidate[] = [
    cand({ maxBatchSize: 8, batchWaitMs: 2, replicas: 1, threads: 1 }, 300),
    cand({ maxBatchSize: 1, batchWaitMs: 0, replicas: 1, threads: 1 }, undefined, 315),
    { config: { maxBatchSize: 32, batchWaitMs: 10, replicas: 1, threads: 1 }, status: 'excluded', note: 'batch wait 10ms is not below slo.p99 (10ms)', probes: [], passed: false, cost: costOf({ maxBatchSize: 32, batchWaitMs: 10, replicas: 1, threads: 1 }, resources) },
  ];
  const out = outcome(all, 'throughput', null, 'replica');
  return {
    schemaVersion: 1, startedAt: '2026-11-30T00:00:00.000Z', profile: { name: 'local', path: '/p/local.yaml' }, objective: 'throughput', scope: 'replica',
    ratePerSec: null, targets: { p99Ms: 100 }, space: { batchSizes: [1, 8, 32], batchWaitsMs: [0, 2, 10], replicas: [1], threads: [1] }, exhaustive: false,
    stopped: 'budget', elapsedMs: 61_000, budgetMs: 60_000, windowMs: 1000, maxWindows: 5, warmupMs: 1000, ...out, measured: 2, probes: 6, warnings: [],
  };
}

test('the table ranks the recommendation first, then failing and excluded candidates, with the reason and how it stopped', () => {
  const text = renderTune(report());
  const rows = text.split('\n').filter((l) => /^\d+ /.test(l));
  assert.match(rows[0]!, /^1\s+8\s+2ms\s+1\s+1\s+300\s.*PASS/);
  assert.match(rows[1]!, /^2\s+1\s+0ms\s.*< 315\s.*FAIL/);
  assert.match(rows[2]!, /^3\s+32\s+10ms\s.*excluded\s.*batch wait 10ms is not below slo\.p99/);
  assert.match(text, /Recommendation: batch 8 within 2ms, 1 replica x 1 thread\n/);
  assert.match(text, /Why: batch 8 within 2ms, 1 replica x 1 thread is the highest rate one replica sustained within every target: 300 req\/s/);
  assert.match(text, /Stopped: the budget \(1m00s\) ran out; this is the best found so far\./);
  assert.equal(renderTuneProgress({ candidate: 3, about: 11, config: { maxBatchSize: 16, batchWaitMs: 2, replicas: 1, threads: 1 }, ratePerSec: 420, window: 2, elapsedMs: 72_000, budgetLeftMs: 528_000 }),
    'candidate 3 of about 11: batch 16 within 2ms, 1 replica x 1 thread at 420 req/s, window 2 · 1m12s elapsed, 8m48s left');
});

test('the HTML page holds its plots as SVG, draws the targets and needs nothing from the network', () => {
  const html = tuneHtml(report());
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /<script|<link|<img|src=|href=|@import|url\(/i);
  assert.equal((html.match(/<svg /g) ?? []).length, 2, 'p99 against rate, and against configuration');
  assert.ok((html.match(/class="marker"/g) ?? []).length >= 6, 'each measurement a dot');
  assert.ok((html.match(/class="target"/g) ?? []).length >= 2, 'the p99 target on both');
  assert.match(html, /data-series="b8 w2ms r1 t1"/);
  assert.match(html, /p99 target 100/);
});

test('flag problems are all reported at once, exit 2, before anything starts', async (t) => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'serve-tune-flags-'));
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  const r = await serve(['tune', '--profile', 'local', '--objective', 'fastest', '--batch-sizes', '0,8', '--batch-waits', '2', '--max-windows', '2', '--budget', 'soon'], { cwd });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^serve: error: 5 problems with the flags:/);
  assert.match(r.stderr, /--objective: expected cost or throughput, got "fastest"/);
  assert.match(r.stderr, /--batch-sizes: expected a whole number from 1 to 4096, got 0/);
  assert.match(r.stderr, /--batch-waits: "2" has no unit/);
  assert.match(r.stderr, /--max-windows: expected a whole number from 3 to 100/);
  assert.match(r.stderr, /--budget: expected a duration/);
  const noRate = await serve(['tune', '--profile', './p.yaml'], { cwd });
  assert.equal(noRate.code, 2);
  assert.match(noRate.stderr, /p\.yaml does not exist/);
});
