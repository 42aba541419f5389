// The `serve bench --html` page as a pure function (report): its parts (table, latency per second
// with targets, spectrum on a nines axis, throughput and errors, ramp steps), escaping, and nothing
// that runs or fetches anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBenchHtml } from '../../src/cli/bench/html.js';
import { benchReportHtml, type BenchPageInput } from '../../src/report/bench-page.js';
import { esc } from '../../src/report/svg.js';
import { tableModel } from '../../src/loadtest/report.js';
import { rampRun, steadyRun } from './bench-fixture.js';

const charts = (html: string) =>
  html
    .split('<svg ')
    .slice(1)
    .map((s) => `<svg ${s.slice(0, s.indexOf('</svg>'))}`);
const seriesOf = (svg: string) => [...svg.matchAll(/<path d="[^"]+"[^>]*data-series="([^"]+)"/g)].map((m) => m[1]);
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
const headings = (html: string) => [...html.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1]);

/** Nothing in the page runs or loads: no script, no external resource, no URL in any attribute but the SVG namespace. */
function assertSelfContained(html: string): void {
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|<object|<embed|\ssrc=|\shref=|url\(|@import|\son\w+=/i);
  const urlAttrs = [...html.matchAll(/\s([\w:-]+)="[^"]*:\/\/[^"]*"/g)].map((m) => m[1]).filter((a) => a !== 'xmlns');
  assert.deepEqual(urlAttrs, [], 'no attribute holds a URL');
}

test('a steady run: summary table as the terminal shows it, then latency, spectrum and throughput plots', () => {
  const { result, gates } = steadyRun();
  const html = renderBenchHtml(result, gates);
  assertSelfContained(html);
  assert.deepEqual(headings(html), [
    'Summary',
    'Latency over time',
    'Percentile spectrum',
    'Throughput and errors over time',
  ]);
  // The same figures as the terminal table, row by row, and its verdict and notes.
  const model = tableModel(result, gates);
  // PASS and FAIL cells carry their class (green, red); every other cell is plain.
  const cell = (c: string) =>
    `<td${c === 'PASS' ? ' class="pass"' : c === 'FAIL' ? ' class="fail"' : ''}>${esc(c)}</td>`;
  for (const row of model.rows)
    assert.ok(html.includes(`<tr>${row.map(cell).join('')}</tr>`), `row ${row.join(' | ')}`);
  assert.ok(html.includes(`<p class="fail">${esc(model.verdict)}</p>`), 'the verdict line is coloured');
  assert.ok(html.includes(esc(model.verdict)) && model.verdict.startsWith('FAIL'), model.verdict);
  for (const note of model.notes) assert.ok(html.includes(esc(note)), note);

  const [latency, spectrum, throughput] = charts(html);
  assert.equal(charts(html).length, 3);
  assert.deepEqual(seriesOf(latency!), ['p50', 'p99', 'max']);
  assert.deepEqual(
    texts(latency!).filter((t) => t!.includes('target')),
    ['p50 target 20.0ms', 'p99 target 60.0ms', 'max target 500ms'],
  );
  assert.equal((latency!.match(/class="target"/g) ?? []).length, 3);
  assert.deepEqual(seriesOf(spectrum!), ['latency', 'service time', 'targets']);
  // 8000 requests reach 99.9875%: the axis runs to the next whole nine, 50% included.
  assert.deepEqual(
    texts(spectrum!).filter((t) => t!.endsWith('%')),
    ['0%', '50%', '90%', '99%', '99.9%', '99.99%'],
  );
  assert.deepEqual(seriesOf(throughput!), ['requested', 'sent', 'succeeded', 'failed']);
  assert.ok(texts(throughput!).includes('min rate 150/s'));
  assert.ok(texts(latency!).includes('0:30') && texts(latency!).includes('latency (ms, log)'));
});

test("the spectrum's target line steps from the p50 target to the p99 target to the max target", () => {
  const { result, gates } = steadyRun();
  const spectrum = charts(renderBenchHtml(result, gates))[1]!;
  const d = /<path d="([^"]+)"[^>]*data-series="targets"/.exec(spectrum)![1]!;
  const ys = [...d.matchAll(/[\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
  assert.equal(new Set(ys).size, 3, `three levels in ${d}`);
  assert.ok(ys[0]! > ys[ys.length - 1]!, 'the line rises (smaller y is higher) from the p50 target to the max target');
});

test('a ramp: step markers over time, the spectrum of the reported step, latency by rate and a table of the steps', () => {
  const { result, gates } = rampRun();
  const html = renderBenchHtml(result, gates);
  assertSelfContained(html);
  assert.deepEqual(headings(html), [
    'Summary',
    'Latency over time',
    'Percentile spectrum',
    'Throughput and errors over time',
    'Ramp steps',
  ]);
  const [latency, spectrum, throughput, ramp] = charts(html);
  for (const chart of [latency!, throughput!]) {
    assert.deepEqual(
      texts(chart).filter((t) => /^\d+\/s$/.test(t!)),
      ['100/s', '200/s', '300/s', '400/s'],
    );
    assert.equal((chart.match(/class="x-marker"/g) ?? []).length, 4);
  }
  assert.ok(
    texts(spectrum!).some((t) => t!.includes('at 300 req/s')),
    'the spectrum says which step it shows',
  );
  assert.match(html, /keeps the full histogram of the reported step only/);
  assert.deepEqual(seriesOf(ramp!), ['p50', 'p99', 'p99.9', 'max']);
  assert.ok(texts(ramp!).includes('knee 300/s'));
  assert.equal((html.match(/<td class="pass">met<\/td>/g) ?? []).length, 2);
  assert.ok(html.includes('<td class="pass">met (knee)</td>') && html.includes('<td class="fail">missed</td>'));
});

test('text from the result is escaped; a run without successes draws no latency; a run not judged shows no results', () => {
  const { result, gates } = steadyRun();
  const input: BenchPageInput = {
    result: {
      ...result,
      target: { url: 'http://h:1/"><img src=x onerror=alert(1)>', model: '<script>alert(1)</script>' },
      latency: { count: 0 },
      series: result.series.map((r) => ({ ...r, ok: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, errors: r.sent })),
    },
    gates,
    table: {
      title: 'model <b>x</b>',
      head: ['metric', 'latency', 'result'],
      rows: [
        ['p99', 'n/a', 'FAIL'],
        ['<i>', '&', 'PASS'],
      ],
      notes: ['errors by class: <connection>'],
      verdict: 'FAIL',
    },
    spectrum: { latency: [], service: [] },
  };
  const html = benchReportHtml(input, 'no verdict: every request failed to connect');
  assertSelfContained(html);
  assert.doesNotMatch(html, /<b>x|<i>|<connection>|<script>alert/);
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;') && html.includes('&lt;connection&gt;'));
  assert.ok(html.includes('<td>p99</td><td>n/a</td><td>-</td>') && !html.includes('FAIL</td>'), 'results blanked');
  assert.ok(html.includes('no verdict: every request failed to connect'));
  assert.match(html, /No request succeeded: there is no latency to plot/);
  const [latency, throughput] = charts(html);
  assert.equal(charts(html).length, 2, 'no spectrum chart');
  assert.deepEqual(seriesOf(latency!), [], 'no latency line where nothing succeeded (not a line at zero)');
  assert.ok(seriesOf(throughput!).includes('failed'));
});

test('answers from two model versions: a line for each in the summary, as under the terminal table', () => {
  const { result, gates } = steadyRun();
  const lat = { ...result.latency };
  const html = renderBenchHtml(
    {
      ...result,
      byVersion: {
        1: { ok: 6000, errors: 0, latency: lat },
        2: { ok: 2000, errors: 3, latency: { ...lat, p50Ms: 31 } },
      },
    },
    gates,
  );
  assert.match(html, /version 1: 6000 ok, 0 failed; p50 /);
  assert.match(html, /version 2: 2000 ok, 3 failed; p50 31(\.0)?ms/);
});

/** The y of each target label and of its line in an SVG chart. */
function targetLabels(svg: string): Array<{ label: string; labelY: number }> {
  return [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)"[^>]*class="target-label">([^<]*)<\/text>/g)].map((m) => ({
    label: m[2]!,
    labelY: Number(m[1]),
  }));
}

test('target labels a few pixels apart are moved apart (p95 80ms and p99 100ms on a log axis)', () => {
  const { result, gates } = steadyRun({ targets: { p95Ms: 80, p99Ms: 100, maxMs: 150 } });
  const labels = targetLabels(charts(renderBenchHtml(result, gates))[0]!).sort((a, b) => a.labelY - b.labelY);
  assert.deepEqual(
    labels.map((l) => l.label),
    ['max target 150ms', 'p99 target 100ms', 'p95 target 80.0ms'],
  );
  for (let i = 1; i < labels.length; i++)
    assert.ok(
      labels[i]!.labelY - labels[i - 1]!.labelY >= 13,
      `${labels[i - 1]!.label} and ${labels[i]!.label}: ${labels[i]!.labelY - labels[i - 1]!.labelY}px apart`,
    );
});

test('the failed/s axis counts whole failures, and says "no failures" over a lone 0 tick when there were none', () => {
  const failedPanel = (html: string) => charts(html)[2]!.split('data-panel="1"')[1]!;
  const ticks = (svg: string) => texts(svg).filter((t) => /^[\d.]+$/.test(t!));
  const some = steadyRun();
  const withFailures = failedPanel(renderBenchHtml(some.result, some.gates));
  assert.deepEqual(
    ticks(withFailures).slice(0, 2),
    ['0', '1'],
    'one failure a second at most: ticks 0 and 1, not 0.2 steps',
  );
  assert.ok(!texts(withFailures).includes('no failures'));
  const none = steadyRun({ failEvery: 0 });
  const without = failedPanel(renderBenchHtml(none.result, none.gates));
  assert.deepEqual(ticks(without).slice(0, 1), ['0']);
  assert.ok(!ticks(without).includes('0.2') && !ticks(without).includes('1'), ticks(without).join(' '));
  assert.ok(texts(without).includes('no failures'));
});
