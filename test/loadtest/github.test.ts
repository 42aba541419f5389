// GitHub Actions forms of a bench run (loadtest, pure): workflow-command escaping and the summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderAnnotations, renderStepSummary } from '../../src/loadtest/github.js';
import type { GateReport, RunResult } from '../../src/loadtest/types.js';

const check = (message: string, passed: boolean, kind: 'target' | 'baseline' = 'target') => ({
  kind,
  metric: 'p99' as const,
  actual: 2,
  limit: 1,
  passed,
  message,
});

test('one ::error per failed check, with %, CR and LF escaped in the message and : , in the title', () => {
  const gates = {
    passed: false,
    checks: [check('p99 2ms > 1ms', true), check('p99 50% worse\r\nthan before', false, 'baseline')],
  } as GateReport;
  assert.equal(
    renderAnnotations(gates),
    '::error title=serve bench%3A baseline missed::p99 50%25 worse%0D%0Athan before\n',
  );
  assert.equal(renderAnnotations({ passed: true, checks: [check('ok', true)] } as GateReport), '');
});

test('the summary escapes | in cells and says when a run has no verdict', () => {
  const lat = { count: 10, minMs: 1, meanMs: 1, p50Ms: 1, p90Ms: 1, p95Ms: 1, p99Ms: 1, p999Ms: 1, maxMs: 1 };
  const result = {
    schemaVersion: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    target: { url: 'http://h:1', model: 'a|b', binary: false },
    mode: 'open',
    arrival: 'constant',
    durationMs: 1000,
    warmupMs: 0,
    connections: 1,
    concurrency: null,
    rate: { requestedPerSec: 10, sentPerSec: 10, achievedPerSec: 10 },
    requests: { scheduled: 10, sent: 10, ok: 10, errors: 0, notSent: 0, sentLate: 0 },
    lateThresholdMs: 2,
    errorsByClass: {},
    errorRate: 0,
    latency: lat,
    service: lat,
    histograms: { latencyUs: '', serviceUs: '' },
    series: [],
    interrupted: false,
  } as unknown as RunResult;
  const md = renderStepSummary(
    result,
    { passed: true, checks: [] } as unknown as GateReport,
    'no verdict: every request failed to connect',
  );
  assert.match(md, /^### serve bench: NO VERDICT\n\na\\\|b at http/);
  assert.match(md, /\*\*no verdict: every request failed to connect\*\*/);
});
