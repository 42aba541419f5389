// What `serve tune` shows (pure rendering, and flag checks through the CLI): the ranked table with
// the recommendation and its reason; the HTML page is self-contained, its plots SVG written into the
// file with the targets drawn; every flag problem is reported at once with exit code 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tuneHtml } from '../../src/cli/tune/html.js';
import { renderTune, renderTuneProgress } from '../../src/cli/tune/render.js';
import { annotate } from '../../src/tune/decision.js';
import { serve } from '../e2e/cli-run.js';
import { costReport, throughputReport } from './report-fixture.js';

const report = throughputReport;

test('the table ranks the recommendation first, then failing and excluded candidates, with the reason and how it stopped', () => {
  const text = renderTune(report());
  const rows = text.split('\n').filter((l) => /^\d+ /.test(l));
  assert.match(rows[0]!, /^1\s+8\s+2ms\s+1\s+1\s+300\s.*PASS/);
  assert.match(rows[1]!, /^2\s+1\s+0ms\s.*< 315\s.*FAIL/);
  assert.match(rows[2]!, /^3\s+32\s+10ms\s.*excluded\s.*batch wait 10ms is not below slo\.p99/);
  assert.match(text, /Recommendation: batch 8 within 2ms, 1 replica x 1 thread\n/);
  assert.match(
    renderTune(report(), false),
    /Recommendation \(not decided with confidence\): batch 8 within 2ms, 1 replica x 1 thread\n/,
  );
  assert.match(
    text,
    /Why: batch 8 within 2ms, 1 replica x 1 thread is the highest rate one replica sustained within every target: 300 req\/s/,
  );
  assert.match(text, /Stopped: the budget \(1m00s\) ran out; this is the best found so far\./);
  assert.equal(
    renderTuneProgress({
      candidate: 3,
      about: 11,
      config: { maxBatchSize: 16, batchWaitMs: 2, replicas: 1, threads: 1 },
      ratePerSec: 420,
      window: 2,
      elapsedMs: 72_000,
      budgetLeftMs: 528_000,
    }),
    'candidate 3 of about 11: batch 16 within 2ms, 1 replica x 1 thread at 420 req/s, window 2 · 1m12s elapsed, 8m48s left',
  );
});

test('the HTML page holds its plots as SVG, draws the targets and needs nothing from the network', () => {
  const html = tuneHtml(report());
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /<script|<link|<img|src=|href=|@import|url\(/i);
  assert.equal((html.match(/<svg /g) ?? []).length, 2, 'each candidate as a row, and p99 against rate');
  assert.ok((html.match(/class="marker"/g) ?? []).length >= 6, 'each measurement a dot');
  assert.ok((html.match(/class="target"/g) ?? []).length >= 2, 'the p99 target on both');
  assert.match(html, /data-series="b8 w2ms r1 t1"/);
  assert.match(html, /p99 target 100/);
  assert.match(html, /<td class="pass">PASS<\/td>/);
  assert.match(html, /<td class="fail">FAIL<\/td>/);
});

/** The dots of one column of the row chart, as their values. */
const column = (html: string, index: number) =>
  [
    ...html
      .split(`data-column="${index}"`)[1]!
      .split('</g>')[0]!
      .matchAll(/data-value="([\d.]+)"/g),
  ].map((m) => Number(m[1]));

test("the cost search's page: no rate plot when every candidate ran at the one rate; p99, cost and rate per candidate", () => {
  for (const priced of [false, true]) {
    const r = costReport(priced);
    const html = tuneHtml(r);
    const measured = r.candidates.filter((c) => c.status === 'measured');
    assert.equal((html.match(/<svg /g) ?? []).length, 1, 'only the per-candidate chart');
    assert.doesNotMatch(html, /p99 against the requested rate/);
    assert.match(html, /Each candidate at 200 req\/s: p99 and cost/);
    assert.deepEqual(
      column(html, 0),
      measured.map((c) => c.result!.latency.p99Ms),
      "p99 of each candidate, in the table's order",
    );
    assert.deepEqual(
      column(html, 1),
      measured.map((c) => c.cost.perHour ?? c.cost.cpus),
      'its cost',
    );
    assert.deepEqual(
      column(html, 2),
      measured.map((c) => c.result!.achievedPerSec),
      'the rate it answered',
    );
    assert.match(html, /#1 b32 w5ms r1 t1<\/text>/);
    assert.equal((html.match(/class="highlight"/g) ?? []).length, 1, 'the recommendation shaded');
    assert.equal(
      html.includes('Every measured candidate costs the same (1 replica x 1 CPU), so cost did not decide'),
      !priced,
    );
    if (priced) assert.ok(new Set(column(html, 1)).size === 2, 'one and two replicas priced apart');
  }
});

test('each measured candidate says met, missed or unsure with the figure that decided it, in the table and on the page', () => {
  const r = throughputReport();
  const [best, failing] = r.candidates;
  best!.result = {
    ...best!.result!,
    checks: [{ metric: 'p99', actual: 41.2, limit: 100, ratio: 0.412, message: '', low: 38, high: 45.1 }],
  };
  const judged = { ...r, candidates: annotate(r.candidates, r.objective) };
  const rows = renderTune(judged)
    .split('\n')
    .filter((l) => /^\d+ /.test(l));
  assert.match(rows[0]!, /PASS\s+met: p99 41\.2 ms \[38\.0, 45\.1\] <= 100 ms\s/);
  assert.match(rows[1]!, /FAIL\s+missed: p99 \d+ms > 100ms\s/, `${failing!.result!.missed[0]}`);
  assert.match(rows[2]!, /excluded\s+-\s/);
  assert.match(tuneHtml(judged), /<td class="pass">met: p99 41\.2 ms \[38\.0, 45\.1\] &lt;= 100 ms<\/td>/);
});

test('flag problems are all reported at once, exit 2, before anything starts', async (t) => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'serve-tune-flags-'));
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  const r = await serve(
    [
      'tune',
      '--profile',
      'local',
      '--objective',
      'fastest',
      '--batch-sizes',
      '0,8',
      '--batch-waits',
      '2',
      '--max-windows',
      '2',
      '--budget',
      'soon',
    ],
    { cwd },
  );
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
