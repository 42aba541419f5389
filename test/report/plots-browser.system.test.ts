// The report pages as a reader sees them (report, headless chromium through playwright-core): in
// every chart no two text labels overlap and none sticks out of its chart; PASS/FAIL cells and the
// verdict line are coloured (green/red); a run without failures labels its failed/s axis with whole
// numbers and says "no failures"; the cost search's page draws p99 and cost per candidate. Pages
// come from synthetic RunResults and TuneReports, no cluster. SERVE_TEST_SCREENSHOTS=DIR keeps a
// full-page PNG of each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { renderBenchHtml } from '../../src/cli/bench/html.js';
import { tuneHtml } from '../../src/cli/tune/html.js';
import { launchChromium } from '../helpers/playwright.js';
import { costReport, throughputReport } from '../tune/report-fixture.js';
import { rampRun, steadyRun } from './bench-fixture.js';

/** Facts read in the page: overlapping and escaping labels per chart, coloured verdicts, the failed/s axis. */
const FACTS = () => {
  const problems: string[] = [];
  const charts = [...document.querySelectorAll('svg.chart')];
  for (const svg of charts) {
    const name = svg.getAttribute('aria-label');
    const box = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')]
      .filter((t) => (t.textContent ?? '').trim() !== '')
      .map((t) => ({ text: t.textContent, r: t.getBoundingClientRect() }));
    texts.forEach((a, i) => {
      if (
        a.r.left < box.left - 0.5 ||
        a.r.right > box.right + 0.5 ||
        a.r.top < box.top - 0.5 ||
        a.r.bottom > box.bottom + 0.5
      )
        problems.push(`${name}: "${a.text}" sticks out of the chart`);
      for (const b of texts.slice(i + 1)) {
        const dx = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
        const dy = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
        if (dx > 1 && dy > 1)
          problems.push(`${name}: "${a.text}" overlaps "${b.text}" (${dx.toFixed(1)} x ${dy.toFixed(1)} px)`);
      }
    });
  }
  const verdicts = [...document.querySelectorAll('td, p')]
    .filter((e) => /^(PASS|FAIL)\b/.test((e.textContent ?? '').trim()))
    .map((e) => {
      const s = getComputedStyle(e);
      return {
        word: (e.textContent ?? '').trim().slice(0, 4),
        tag: e.tagName,
        background: s.backgroundColor,
        color: s.color,
      };
    });
  const throughput = charts.find((c) => c.getAttribute('aria-label')?.startsWith('Throughput'));
  const failedPanel = throughput?.querySelector('g.panel[data-panel="1"]');
  const failedTexts = failedPanel ? [...failedPanel.querySelectorAll('text')].map((t) => t.textContent ?? '') : [];
  return { problems, verdicts, failedTexts, charts: charts.map((c) => c.getAttribute('aria-label')) };
};

type Facts = ReturnType<typeof FACTS>;

const GREEN = /^rgb\((\d+), (\d+), (\d+)\)$/;
const hue = (rgb: string) => {
  const [r, g, b] = (GREEN.exec(rgb) ?? []).slice(1).map(Number);
  return g! > r! && g! >= b! ? 'green' : r! > g! && r! > b! ? 'red' : `neither (${rgb})`;
};

test('report pages in chromium: labels apart and inside their charts, verdicts coloured, sensible axes', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const tight = steadyRun({ targets: { p50Ms: 20, p95Ms: 80, p99Ms: 100, maxMs: 150, errorRate: 0.01, minRps: 150 } });
  const clean = steadyRun({ failEvery: 0, targets: { p95Ms: 80, p99Ms: 100 } });
  const ramp = rampRun();
  const pages: Record<string, string> = {
    'bench-targets': renderBenchHtml(tight.result, tight.gates),
    'bench-no-failures': renderBenchHtml(clean.result, clean.gates),
    'bench-ramp': renderBenchHtml(ramp.result, ramp.gates),
    'tune-cost': tuneHtml(costReport(false)),
    'tune-cost-priced': tuneHtml(costReport(true)),
    'tune-throughput': tuneHtml(throughputReport()),
  };
  const shots = process.env.SERVE_TEST_SCREENSHOTS;
  try {
    const page = await browser.context.newPage();
    const facts: Record<string, Facts> = {};
    for (const [name, html] of Object.entries(pages)) {
      await page.setContent(html, { waitUntil: 'load' });
      if (shots) await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
      facts[name] = await page.evaluate(FACTS);
    }
    assert.deepEqual(
      Object.entries(facts).flatMap(([name, f]) => f.problems.map((p) => `${name}: ${p}`)),
      [],
      'labels',
    );

    const tightVerdicts = facts['bench-targets']!.verdicts;
    assert.ok(
      tightVerdicts.some((v) => v.word === 'PASS') && tightVerdicts.some((v) => v.word === 'FAIL'),
      JSON.stringify(tightVerdicts),
    );
    for (const name of ['bench-targets', 'bench-no-failures', 'tune-cost', 'tune-throughput']) {
      assert.ok(facts[name]!.verdicts.length > 0, `${name}: has PASS/FAIL cells`);
      for (const v of facts[name]!.verdicts) {
        const want = v.word === 'PASS' ? 'green' : 'red';
        assert.equal(hue(v.color), want, `${name}: ${v.tag} ${v.word} text ${v.color}`);
        assert.equal(hue(v.background), want, `${name}: ${v.tag} ${v.word} background ${v.background}`);
      }
    }

    const axisTicks = (texts: string[]) => texts.filter((x) => /^[\d.]+$/.test(x));
    assert.deepEqual(
      axisTicks(facts['bench-no-failures']!.failedTexts),
      ['0'],
      'no failures: the failed/s axis shows 0 only',
    );
    assert.ok(
      facts['bench-no-failures']!.failedTexts.includes('no failures'),
      facts['bench-no-failures']!.failedTexts.join('|'),
    );
    const withFailures = axisTicks(facts['bench-targets']!.failedTexts);
    assert.ok(
      withFailures.length >= 2 && withFailures.every((x) => Number.isInteger(Number(x))),
      `whole-number ticks: ${withFailures.join(' ')}`,
    );

    for (const name of ['tune-cost', 'tune-cost-priced']) {
      assert.ok(
        !facts[name]!.charts.some((c) => c?.startsWith('p99 against the requested rate')),
        `${name}: no rate plot when every candidate ran at one rate`,
      );
      assert.ok(
        facts[name]!.charts.some((c) => c?.startsWith('Each candidate at 200 req/s')),
        `${name}: ${facts[name]!.charts.join(' | ')}`,
      );
    }
    assert.ok(facts['tune-throughput']!.charts.some((c) => c?.startsWith('p99 against the requested rate')));
  } finally {
    await browser.close();
  }
});
