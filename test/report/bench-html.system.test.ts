// `serve bench --html` end to end (report, child processes): the CLI writes the page atomically, and
// headless Chromium (started once) opens it from a file with scripts off: no console errors, nothing
// requested but the file itself, every plot drawn inside its chart, the summary table present.
// SERVE_TEST_SCREENSHOTS=DIR keeps a full-page PNG of each page there, to look at.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderBenchHtml } from '../../src/cli/bench/html.js';
import { serve } from '../e2e/cli-run.js';
import { startChromium } from '../helpers/chromium.js';
import { needTool } from '../helpers/tools.js';
import { startFakeServer } from '../loadtest/oip-server.js';
import { rampRun, steadyRun } from './bench-fixture.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bench-html-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const env = { CI: 'true' };

test('serve bench --html writes the page only when the run finishes, and refuses a folder before any load', async () => {
  const out = path.join(dir, 'cli', 'page.html');
  await mkdir(path.dirname(out));
  await writeFile(out, 'earlier page\n');
  const gone = await startFakeServer();
  await gone.close();
  const failed = await serve(
    ['bench', '--url', gone.url, '--rps', '20', '--duration', '1s', '--warmup', '0', '--html', out],
    { cwd: dir, env },
  );
  assert.equal(failed.code, 3, failed.stderr);
  assert.equal(await readFile(out, 'utf8'), 'earlier page\n', 'an earlier page survives a run that could not start');
  const server = await startFakeServer({ delayMs: 3, failEvery: 25 });
  try {
    const r = await serve(
      [
        'bench',
        '--url',
        server.url,
        '--rps',
        '100',
        '--duration',
        '2s',
        '--warmup',
        '0',
        '--p99',
        '1s',
        '--error-rate',
        '10%',
        '--html',
        out,
      ],
      { cwd: dir, env },
    );
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await server.close();
  }
  const html = await readFile(out, 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.equal((html.match(/<svg /g) ?? []).length, 3);
  assert.match(html, /serve bench: tiny/);
  assert.deepEqual(await readdir(path.dirname(out)), ['page.html'], 'no temporary file left behind');
  const folder = await serve(
    ['bench', '--url', gone.url, '--rps', '20', '--duration', '1s', '--warmup', '0', '--html', dir],
    { cwd: dir, env },
  );
  assert.equal(folder.code, 2, folder.stderr);
  assert.match(folder.stderr, /^serve: error: --html .*cannot write the file \(EISDIR\)/);
});

/** Facts about the page, read in the browser: each chart's size, paths (length, inside the chart), texts; the tables. */
const CHECK = `(() => {
  const charts = [...document.querySelectorAll('svg.chart')].map((svg) => {
    const vb = svg.viewBox.baseVal;
    const paths = [...svg.querySelectorAll('path[data-series]')].map((p) => {
      const b = p.getBBox();
      return { name: p.getAttribute('data-series'), length: p.getTotalLength(),
        inside: b.x >= -0.5 && b.y >= -0.5 && b.x + b.width <= vb.width + 0.5 && b.y + b.height <= vb.height + 0.5 };
    });
    const texts = [...svg.querySelectorAll('text')];
    return { title: svg.getAttribute('aria-label'), width: svg.getBoundingClientRect().width, height: svg.getBoundingClientRect().height, paths,
      targets: [...svg.querySelectorAll('line.target')].map((l) => l.getBBox().width),
      errorBars: [...svg.querySelectorAll('line.error-bar')].map((l) => { const b = l.getBBox();
        return { height: b.height, inside: b.y >= -0.5 && b.y + b.height <= vb.height + 0.5 }; }),
      texts: texts.map((t) => t.textContent), blankTexts: texts.filter((t) => t.getComputedTextLength() === 0).length };
  });
  const tables = [...document.querySelectorAll('table')].map((t) => [...t.rows].map((r) => [...r.cells].map((c) => c.textContent)));
  return { title: document.title, headings: [...document.querySelectorAll('h2')].map((h) => h.textContent), charts, tables };
})()`;

interface Facts {
  title: string;
  headings: string[];
  charts: Array<{
    title: string;
    width: number;
    height: number;
    paths: Array<{ name: string; length: number; inside: boolean }>;
    targets: number[];
    errorBars: Array<{ height: number; inside: boolean }>;
    texts: string[];
    blankTexts: number;
  }>;
  tables: string[][][];
}

test('the pages open in headless Chromium offline and without script: no errors, every plot drawn', async (t) => {
  if (!needTool(t, 'chromium', 'chromium')) return;
  const [steady, ramp] = [steadyRun(), rampRun()];
  // The steady run as judged with confidence: its p99 with an interval, which the spectrum draws as an error bar.
  const judged = {
    ...steady.gates,
    checks: steady.gates.checks.map((c) =>
      c.metric === 'p99'
        ? { ...c, ciLow: c.actual * 0.8, ciHigh: c.actual * 1.3, outcome: 'met', method: 'block-bootstrap' }
        : c,
    ),
  };
  const pages: Record<string, string> = {
    steady: renderBenchHtml(steady.result, steady.gates),
    judged: renderBenchHtml(
      steady.result,
      judged,
      undefined,
      'compared with http://b (interleaved)\nNO REGRESSION: every ratio',
    ),
    ramp: renderBenchHtml(ramp.result, ramp.gates),
    cli: await readFile(path.join(dir, 'cli', 'page.html'), 'utf8'),
  };
  assert.match(pages.judged!, /NO REGRESSION: every ratio/, 'the comparison lines are in the summary');
  const shots = process.env.SERVE_TEST_SCREENSHOTS;
  const browser = await startChromium();
  try {
    for (const [name, html] of Object.entries(pages)) {
      const file = path.join(dir, `${name}.html`);
      await writeFile(file, html);
      const url = pathToFileURL(file).href;
      const visit = await browser.visit(url, CHECK, { scriptsDisabled: true, screenshot: shots !== undefined });
      if (shots && visit.screenshot) await writeFile(path.join(shots, `${name}.png`), visit.screenshot);
      assert.deepEqual(visit.errors, [], `${name}: the browser reported problems`);
      assert.deepEqual(visit.requests, [url], `${name}: nothing requested but the page itself`);
      const facts = visit.value as Facts;
      assert.match(facts.title, /^serve bench: /);
      assert.deepEqual(
        facts.headings.slice(0, 4),
        ['Summary', 'Latency over time', 'Percentile spectrum', 'Throughput and errors over time'],
        name,
      );
      assert.equal(facts.charts.length, name === 'ramp' ? 4 : 3, name);
      for (const c of facts.charts) {
        assert.ok(c.width > 500 && c.height > 150, `${name} ${c.title}: drawn at ${c.width}x${c.height}`);
        assert.ok(c.paths.length >= 3, `${name} ${c.title}: ${c.paths.length} lines`);
        for (const p of c.paths)
          assert.ok(p.length > 0 && p.inside, `${name} ${c.title} ${p.name}: length ${p.length}, inside ${p.inside}`);
        assert.ok(
          c.targets.every((w) => w > 500),
          `${name} ${c.title}: target lines across the plot`,
        );
        assert.equal(c.blankTexts, 0, `${name} ${c.title}: every label has width`);
      }
      const [latency, spectrum, throughput] = facts.charts;
      assert.deepEqual(
        latency!.paths.map((p) => p.name),
        ['p50', 'p99', 'max'],
      );
      assert.ok(
        latency!.targets.length >= 1 && latency!.texts.some((x) => /^p99 target /.test(x)),
        `${name}: the p99 target is drawn`,
      );
      assert.deepEqual(
        spectrum!.paths.map((p) => p.name),
        ['latency', 'service time', 'targets'],
      );
      for (const tick of ['0%', '50%', '90%', '99%'])
        assert.ok(spectrum!.texts.includes(tick), `${name}: spectrum tick ${tick}`);
      assert.ok(
        throughput!.paths.some((p) => p.name === 'succeeded') && throughput!.paths.some((p) => p.name === 'failed'),
      );
      // Error bars only where a check has an interval: the judged page's p99, on the spectrum.
      assert.equal(spectrum!.errorBars.length, name === 'judged' ? 1 : 0, `${name}: error bars`);
      for (const b of spectrum!.errorBars)
        assert.ok(b.height > 5 && b.inside, `${name}: error bar ${JSON.stringify(b)}`);
      const summary = facts.tables[0]!;
      assert.deepEqual(summary[0]!.slice(0, 2), ['metric', 'latency'], `${name}: the summary table's head`);
      assert.deepEqual(
        summary.slice(1).map((r) => r[0]),
        ['rate', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'error rate'],
      );
    }
  } finally {
    await browser.close();
  }
});
