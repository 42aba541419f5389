// The load generator's self-audit (loadtest, pure): its event-loop delay or its late sends with
// free connections make a run unreliable; a busy host alone or a server backlog does not; a miss
// larger than the generator's lag still fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditLine, auditRun, type AuditProbe } from '../../src/loadtest/audit.js';
import { evaluateGates } from '../../src/loadtest/gates.js';
import { judgeRun, parseVerdictFlags, unreliableLine, type RunWatch } from '../../src/cli/bench/verdict.js';
import type { LatencySummary, RunResult } from '../../src/loadtest/types.js';

function result(p50Ms: number, latencyMeanMs: number, serviceMeanMs: number, sentLate = 0): RunResult {
  const lat = (mean: number): LatencySummary => ({
    count: 2000,
    minMs: 1,
    meanMs: mean,
    p50Ms,
    p90Ms: p50Ms * 2,
    p95Ms: p50Ms * 3,
    p99Ms: p50Ms * 4,
    p999Ms: p50Ms * 5,
    maxMs: p50Ms * 6,
  });
  return {
    schemaVersion: 1,
    startedAt: '',
    target: { url: 'http://x', model: 'm', binary: false },
    mode: 'open',
    arrival: 'constant',
    durationMs: 10_000,
    warmupMs: 0,
    connections: 64,
    concurrency: null,
    rate: { requestedPerSec: 200, sentPerSec: 200, achievedPerSec: 200 },
    requests: { scheduled: 2000, sent: 2000, ok: 2000, errors: 0, notSent: 0, sentLate },
    lateThresholdMs: 2,
    errorsByClass: {},
    errorRate: 0,
    latency: lat(latencyMeanMs),
    service: lat(serviceMeanMs),
    histograms: { latencyUs: '', serviceUs: '' },
    series: [],
    interrupted: false,
  };
}
const probe = (p: Partial<AuditProbe>): AuditProbe => ({
  eventLoopDelayP99Ms: 1,
  eventLoopDelayMaxMs: 3,
  loadAverage1m: 0.5,
  cpuCount: 2,
  maxBacklog: 0,
  ...p,
});

test('an event-loop delay beyond 10% of the median (and 5 ms) makes the run unreliable, with the reason and the fix', () => {
  const a = auditRun(result(20, 22, 20), probe({ eventLoopDelayP99Ms: 12 }));
  assert.equal(a.unreliable, true);
  assert.match(a.reason!, /event loop was delayed 12.0ms at p99 \(allowed 5.00ms\)/);
  assert.match(a.fix!, /fewer --connections or a lower --rps/);
  assert.equal(auditRun(result(200, 202, 200), probe({ eventLoopDelayP99Ms: 12 })).unreliable, false);
});

test('a busy host alone does not make a run unreliable; it is reported beside the generator lag', () => {
  const a = auditRun(result(20, 21, 20), probe({ loadAverage1m: 12, cpuCount: 2 }));
  assert.equal(a.unreliable, false);
  assert.match(auditLine(a), /host load 12.00 on 2 CPUs/);
});

test('late sends with free connections are the generator slipping; with a backlog they are the server', () => {
  const late = result(20, 45, 20, 600);
  const a = auditRun(late, probe({}));
  assert.equal(a.unreliable, true);
  assert.match(a.reason!, /30% of requests left late \(mean 25.0ms behind schedule\) with connections free/);
  assert.equal(auditRun(late, probe({ maxBacklog: 40 })).unreliable, false);
});

test('a lagging generator makes a miss it could explain unreliable; a larger miss still fails; a pass stands', () => {
  const r = result(20, 22, 20);
  const watch = { windows: [], probe: probe({ eventLoopDelayP99Ms: 12 }) } as unknown as RunWatch;
  const settings = parseVerdictFlags({});
  // The lag only adds latency: a target met despite it is met by the server.
  const pass = judgeRun(r, evaluateGates(r, { p50Ms: 100 }), watch, settings, 1);
  assert.equal(pass.verdict, 'pass');
  assert.equal(pass.audit!.unreliable, true);
  const wideMiss = judgeRun(r, evaluateGates(r, { p50Ms: 2 }), watch, settings, 1);
  assert.equal(wideMiss.verdict, 'fail');
  const smallMiss = judgeRun(r, evaluateGates(r, { p50Ms: 15 }), watch, settings, 1);
  assert.equal(smallMiss.verdict, 'unreliable');
  assert.match(unreliableLine(smallMiss)!, /^UNRELIABLE: .*Fix: /);
  const clean = judgeRun(
    r,
    evaluateGates(r, { p50Ms: 100 }),
    { windows: [], probe: probe({}) } as unknown as RunWatch,
    settings,
    1,
  );
  assert.equal(clean.verdict, 'pass');
  assert.equal(clean.audit!.unreliable, false);
});
