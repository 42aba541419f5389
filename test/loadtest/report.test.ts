// Table model, progress line and JUnit of a result (loadtest, pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableModel, renderProgressLine } from '../../src/loadtest/report.js';
import { renderJunit } from '../../src/loadtest/formats.js';
import { evaluateGates } from '../../src/loadtest/gates.js';
import type { RunResult } from '../../src/loadtest/types.js';

const lat = { count: 1000, minMs: 1, meanMs: 12, p50Ms: 10, p90Ms: 20, p95Ms: 30, p99Ms: 120, p999Ms: 150, maxMs: 180 };
const result: RunResult = {
  schemaVersion: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
  target: { url: 'http://h:1', model: 'm<1>', binary: false },
  mode: 'open',
  arrival: 'constant',
  durationMs: 5000,
  warmupMs: 0,
  connections: 8,
  concurrency: null,
  rate: { requestedPerSec: 200, sentPerSec: 200, achievedPerSec: 198 },
  requests: { scheduled: 1000, sent: 990, ok: 990, errors: 10, notSent: 10, sentLate: 40 },
  lateThresholdMs: 2,
  errorsByClass: { not_sent: 10 },
  errorRate: 0.01,
  latency: lat,
  service: { ...lat, p99Ms: 25 },
  histograms: { latencyUs: '', serviceUs: '' },
  series: [],
  interrupted: false,
};

test('the table puts each figure beside its target with PASS/FAIL, and says why it failed', () => {
  const gates = evaluateGates(result, { p50Ms: 50, p99Ms: 100, errorRate: 0.02, minRps: 150 });
  const model = tableModel(result, gates);
  const row = (label: string) => model.rows.find((r) => r[0] === label)!;
  assert.deepEqual(row('p50'), ['p50', '10.0ms', '10.0ms', '<= 50.0ms', 'PASS']);
  assert.deepEqual(row('p99'), ['p99', '120ms', '25.0ms', '<= 100ms', 'FAIL']);
  assert.deepEqual(row('p90'), ['p90', '20.0ms', '20.0ms', '-', '-']);
  assert.deepEqual(row('rate'), ['rate', '198.0 req/s of 200.0 req/s', '', '>= 150.0 req/s', 'PASS']);
  assert.deepEqual(row('error rate'), ['error rate', '1%', '', '<= 2%', 'PASS']);
  assert.match(model.notes.join('\n'), /40 sent late .* 10 never sent/);
  assert.match(model.notes.join('\n'), /not_sent 10/);
  assert.equal(model.verdict, 'FAIL: p99 120ms > 100ms');
});

test('the header line says how much warmup ran before the measurement, or that none did', () => {
  const gates = evaluateGates(result, {});
  assert.equal(
    tableModel({ ...result, warmupMs: 2000 }, gates).title,
    'm<1> at http://h:1: open loop, constant, 200 req/s, 8 connections max, 5.00s measured after 2.00s of warmup',
  );
  assert.match(tableModel(result, gates).title, /5\.00s measured, no warmup$/);
});

test('progress line shows rate, p99 so far, errors and the backlog when there is one', () => {
  const line = renderProgressLine({
    phase: 'run',
    elapsedMs: 12_300,
    totalMs: 30_000,
    requestedPerSec: 200,
    currentPerSec: 199,
    p99MsSoFar: 23.4,
    errors: 2,
    inFlight: 5,
    backlog: 3,
    sentLate: 7,
  });
  assert.equal(line, 'run 12s/30s  199.0 req/s of 200  p99 23.4ms  errors 2  in flight 5  backlog 3  late 7');
});

test('JUnit: one test case per check, failures escaped and counted', () => {
  const xml = renderJunit(result, evaluateGates(result, { p50Ms: 50, p99Ms: 100 }));
  assert.equal(xml.match(/<testcase /g)?.length, 2);
  assert.match(xml, /failures="1"/);
  assert.match(xml, /<failure message="p99 120ms &gt; 100ms"/);
  assert.match(xml, /serve bench m&lt;1&gt;/);
  assert.equal(renderJunit(result, { passed: true, checks: [] }).match(/<testcase /g)?.length, 1);
});
