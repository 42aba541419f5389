// Plots as SVG strings and the self-contained page: paths and ticks from d3, log and "nines" axes,
// target lines, stacked panels over one time axis, escaping, and nothing that needs the network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clockText, makeScale, ninesOf } from '../../src/report/axis.js';
import { lineChart, stackedCharts } from '../../src/report/line-chart.js';
import { spreadLabels } from '../../src/report/labels.js';
import { htmlPage } from '../../src/report/page.js';
import { rowChart } from '../../src/report/row-chart.js';

const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

test('a line chart draws each series as a path, with ticks, a legend and target lines', () => {
  const svg = lineChart({
    title: 'latency over time',
    x: { label: 'time', kind: 'time' },
    y: { label: 'ms' },
    series: [
      {
        name: 'p99',
        points: [
          [0, 10],
          [60, 40],
          [120, 20],
        ],
      },
      {
        name: 'p50',
        points: [
          [0, 5],
          [120, 6],
        ],
        dashed: true,
      },
    ],
    targets: [{ y: 100, label: 'p99 target 100ms' }],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal((svg.match(/<path /g) ?? []).length, 2);
  assert.match(svg, /data-series="p99"/);
  assert.match(svg, /stroke-dasharray="5 3"/);
  assert.match(svg, /class="target"/);
  const labels = texts(svg);
  for (const want of ['latency over time', 'p99', 'p50', 'p99 target 100ms', '0:00', '1:00', '2:00', 'time', 'ms'])
    assert.ok(labels.includes(want), `missing ${want} in ${labels.join('|')}`);
  // The y axis reaches the target line even though every point is below it.
  assert.ok(labels.includes('100'), labels.join('|'));
});

test('log and nines axes place their ticks where a reader expects them', () => {
  const log = makeScale({ label: 'ms', kind: 'log' }, [1, 1000], [0, 300]);
  assert.deepEqual(
    log.ticks().filter((t) => [1, 10, 100, 1000].includes(t)),
    [1, 10, 100, 1000],
  );
  assert.ok(Math.abs(log(10) - 100) < 1e-6 && Math.abs(log(100) - 200) < 1e-6, 'decades equally spaced');
  const nines = makeScale({ label: 'percentile', kind: 'nines' }, [0, 99.99], [0, 400]);
  assert.deepEqual(
    nines.ticks().map((t) => nines.format(t)),
    ['0%', '90%', '99%', '99.9%', '99.99%'],
  );
  assert.ok(Math.abs(nines(99) - 200) < 1e-6 && Math.abs(nines(99.9) - 300) < 1e-6, 'each extra nine equally spaced');
  assert.equal(ninesOf(90), 1);
  assert.equal(clockText(3725), '1:02:05');
});

test('stacked panels share one x axis and keep their own y axes', () => {
  const svg = stackedCharts({
    title: 'simulation',
    x: { label: 'time', kind: 'time' },
    panels: [
      {
        y: { label: 'req/s' },
        series: [
          {
            name: 'load',
            points: [
              [0, 50],
              [60, 200],
            ],
          },
        ],
      },
      {
        y: { label: 'replicas' },
        series: [
          {
            name: 'replicas',
            points: [
              [0, 2],
              [30, 5],
            ],
            curve: 'step',
          },
        ],
      },
      {
        y: { label: 'p99 ms', kind: 'log' },
        series: [
          {
            name: 'p99',
            points: [
              [0, 12],
              [60, 140],
            ],
          },
        ],
        targets: [{ y: 100, label: 'target' }],
      },
    ],
  });
  assert.equal((svg.match(/class="panel"/g) ?? []).length, 3);
  assert.equal((svg.match(/class="axis-title"/g) ?? []).length, 4, 'three y titles and one x title');
  // A step curve draws horizontal then vertical segments: H/V commands or repeated coordinates.
  const replicas = /data-series="replicas"[^>]*/.exec(svg)
    ? /<path d="([^"]+)"[^>]*data-series="replicas"/.exec(svg)![1]!
    : '';
  assert.match(replicas, /^M[\d.]+,[\d.]+L[\d.]+,[\d.]+L[\d.]+,[\d.]+/);
});

test('the page is self-contained: inline SVG and styles, no script, nothing fetched, text escaped', () => {
  const chart = lineChart({
    x: { label: 'x' },
    y: { label: 'y' },
    series: [
      {
        name: '<b>evil</b>',
        points: [
          [0, 1],
          [1, 2],
        ],
      },
    ],
  });
  const html = htmlPage({
    title: 'Report <1>',
    subtitle: 'a & b',
    sections: [
      {
        heading: 'Load',
        paragraphs: ['p < q'],
        charts: [chart],
        tables: [
          {
            head: ['minute', 'p99'],
            rows: [
              [1, '12.0ms'],
              ['<x>', 3],
            ],
          },
        ],
      },
    ],
  });
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /<script|<link|<img|src=|href=|@import|url\(/i);
  assert.match(html, /<svg /);
  assert.match(html, /Report &lt;1&gt;/);
  assert.match(html, /&lt;b&gt;evil&lt;\/b&gt;/);
  assert.match(html, /<td>&lt;x&gt;<\/td>/);
  assert.doesNotMatch(html, /<b>evil/);
});

test('explicit tick values (50% on a nines axis) and vertical markers across every panel', () => {
  const nines = makeScale(
    { label: 'percentile', kind: 'nines', tickValues: [0, 50, 90, 99, 99.9, 99.99] },
    [0, 99.9],
    [0, 300],
  );
  assert.deepEqual(
    nines.ticks().map((t) => nines.format(t)),
    ['0%', '50%', '90%', '99%', '99.9%'],
    'ticks outside the domain are left out',
  );
  const svg = stackedCharts({
    x: { label: 'time', kind: 'time' },
    xMarkers: [
      { x: 10, label: '200/s' },
      { x: 20, label: '300/s' },
    ],
    panels: [
      {
        y: { label: 'a' },
        series: [
          {
            name: 'a',
            points: [
              [0, 1],
              [30, 2],
            ],
          },
        ],
      },
      {
        y: { label: 'b' },
        series: [
          {
            name: 'b',
            points: [
              [0, 1],
              [30, 2],
            ],
          },
        ],
      },
    ],
  });
  const markers = [
    ...svg.matchAll(/<line x1="([\d.]+)" x2="([\d.]+)" y1="([\d.]+)" y2="([\d.]+)"[^>]*class="x-marker"/g),
  ];
  assert.equal(markers.length, 2);
  const first = markers[0]!.slice(1).map(Number);
  assert.equal(first[0], first[1], 'vertical');
  assert.ok(first[3]! - first[2]! > 220 * 2, 'spans both panels');
  assert.ok(texts(svg).includes('200/s') && texts(svg).includes('300/s'));
});

test('labels too close are spread the least needed, inside their bounds, in the order given', () => {
  assert.deepEqual(spreadLabels([100, 50, 200], 13, 0, 300), [100, 50, 200], 'far apart: unchanged');
  assert.deepEqual(spreadLabels([96, 90], 13, 0, 300), [103, 90], 'the lower one moves down');
  assert.deepEqual(
    spreadLabels([295, 298, 290], 13, 0, 300),
    [287, 300, 274],
    'at the bottom edge they move up instead',
  );
});

test('a count axis has whole-number ticks only', () => {
  const counts = makeScale({ label: 'failed/s', integer: true }, [0, 1.08], [100, 0]);
  assert.deepEqual(counts.ticks(), [0, 1]);
  assert.deepEqual(
    makeScale({ label: 'failed/s' }, [0, 1.08], [100, 0]).ticks(),
    [0, 0.2, 0.4, 0.6, 0.8, 1],
    "without it, d3's own",
  );
});

test('a row chart draws a row per item, a dot per value coloured by pass/fail, each column with its own axis and target', () => {
  const svg = rowChart({
    title: 'each candidate',
    items: [
      { label: '#1 b8', status: 'pass', highlight: true },
      { label: '#2 b1', status: 'fail' },
    ],
    columns: [
      { label: 'p99 (ms)', values: [48, 134], target: { value: 100, label: 'p99 target 100ms' } },
      { label: 'CPUs', values: [1, 1], integer: true },
    ],
  });
  const dots = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="4" fill="([^"]+)"/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    fill: m[3],
  }));
  assert.equal(dots.length, 4);
  assert.deepEqual(
    dots.map((d) => d.fill),
    ['#59a14f', '#e15759', '#59a14f', '#e15759'],
  );
  assert.ok(dots[1]!.x > dots[0]!.x && dots[1]!.y > dots[0]!.y, 'a larger p99 further right, the second row lower');
  assert.equal((svg.match(/class="highlight"/g) ?? []).length, 1);
  const labels = texts(svg);
  for (const want of ['#1 b8', '#2 b1', 'p99 target 100ms', 'p99 (ms)', 'CPUs', '0', '1', '100'])
    assert.ok(labels.includes(want), `missing ${want} in ${labels.join('|')}`);
  assert.ok(!labels.includes('0.2'), 'CPUs count in whole numbers');
});
