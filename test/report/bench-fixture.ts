// RunResults for the bench report tests: a steady run with a latency spike and a few failures, and
// a four-step ramp whose last step misses the p99 target. Real HDR histograms, seeded, no network.
import { encodeHistogram, newHistogram, recordMs, summarize } from '../../src/loadtest/histogram.js';
import { evaluateGates } from '../../src/loadtest/gates.js';
import type { GateReport, RunResult, SecondRow, SloTargets, StepResult } from '../../src/loadtest/types.js';

/** A small seeded generator (mulberry32), so every run of the tests draws the same latencies. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Phase {
  rows: SecondRow[];
  latency: ReturnType<typeof newHistogram>;
  service: ReturnType<typeof newHistogram>;
  ok: number;
  errors: number;
}

/** `seconds` seconds at `ratePerSec`: latency around `baseMs` with a long tail, slower in `slow` seconds. */
function simulate(
  seconds: number,
  ratePerSec: number,
  baseMs: number,
  rnd: () => number,
  slow: (s: number) => number = () => 1,
  failEvery = 0,
): Phase {
  const latency = newHistogram();
  const service = newHistogram();
  const rows: SecondRow[] = [];
  let ok = 0;
  let errors = 0;
  for (let s = 0; s < seconds; s++) {
    const second = newHistogram();
    const row: SecondRow = { second: s, sent: ratePerSec, ok: 0, errors: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
    for (let i = 0; i < ratePerSec; i++) {
      if (failEvery > 0 && (s * ratePerSec + i) % failEvery === 0) {
        row.errors++;
        continue;
      }
      // A log-normal body and a rare slow tail (GC pauses, a queue).
      const body = baseMs * Math.exp(0.35 * Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd()));
      const tail = rnd() < 0.004 ? baseMs * (4 + 20 * rnd()) : 0;
      const svc = (body + tail) * slow(s);
      const waited = svc + (slow(s) > 1 ? baseMs * 2 * rnd() : 0.05 * rnd());
      recordMs(service, svc);
      recordMs(latency, waited);
      recordMs(second, waited);
      row.ok++;
    }
    const sum = summarize(second);
    Object.assign(row, { p50Ms: sum.p50Ms, p99Ms: sum.p99Ms, maxMs: sum.maxMs });
    ok += row.ok;
    errors += row.errors;
    rows.push(row);
  }
  return { rows, latency, service, ok, errors };
}

function resultOf(p: Phase, ratePerSec: number, durationMs: number, model = 'demo<cnn>'): RunResult {
  const counts = {
    scheduled: p.ok + p.errors,
    sent: p.ok + p.errors,
    ok: p.ok,
    errors: p.errors,
    notSent: 0,
    sentLate: 3,
  };
  return {
    schemaVersion: 1,
    startedAt: '2026-03-02T09:30:00.000Z',
    target: { url: 'http://127.0.0.1:8000', model, binary: false },
    mode: 'open',
    arrival: 'constant',
    durationMs,
    warmupMs: 0,
    connections: 64,
    concurrency: null,
    rate: { requestedPerSec: ratePerSec, sentPerSec: ratePerSec, achievedPerSec: (p.ok * 1000) / durationMs },
    requests: counts,
    lateThresholdMs: 2,
    errorsByClass: p.errors > 0 ? { http_503: p.errors } : {},
    errorRate: p.errors / (p.ok + p.errors),
    latency: summarize(p.latency),
    service: summarize(p.service),
    histograms: { latencyUs: encodeHistogram(p.latency), serviceUs: encodeHistogram(p.service) },
    series: p.rows,
    interrupted: false,
  };
}

/**
 * 40 s at 200 req/s, 8 ms typical, a slow patch at 0:15-0:20, one request in 400 fails (`failEvery`
 * 0: none), judged by `targets`.
 */
export function steadyRun(opts: { failEvery?: number; targets?: SloTargets } = {}): {
  result: RunResult;
  gates: GateReport;
} {
  const p = simulate(40, 200, 8, random(7), (s) => (s >= 15 && s < 20 ? 6 : 1), opts.failEvery ?? 400);
  const result = resultOf(p, 200, 40_000);
  return {
    result,
    gates: evaluateGates(result, opts.targets ?? { p50Ms: 20, p99Ms: 60, maxMs: 500, errorRate: 0.01, minRps: 150 }),
  };
}

/** Steps of 100, 200, 300, 400 req/s (5 s each); latency grows with the rate and 400 misses p99 40 ms. */
export function rampRun(): { result: RunResult; gates: GateReport } {
  const rnd = random(11);
  const rates = [100, 200, 300, 400];
  const phases = rates.map((rate, i) => simulate(5, rate, 4 + i * i * 3, rnd));
  const steps: StepResult[] = phases.map((p, i) => {
    const latency = summarize(p.latency);
    return {
      requestedPerSec: rates[i]!,
      achievedPerSec: p.ok / 5,
      durationMs: 5000,
      requests: { scheduled: p.ok, sent: p.ok, ok: p.ok, errors: 0, notSent: 0, sentLate: 0 },
      errorRate: 0,
      latency,
      service: summarize(p.service),
      passed: latency.p99Ms <= 40,
    };
  });
  const reported = steps.findIndex((s) => !s.passed) - 1;
  const index = reported < 0 ? steps.length - 1 : reported;
  const result = resultOf(phases[index]!, rates[index]!, 5000, 'demo');
  result.series = phases.flatMap((p, i) => p.rows.map((r) => ({ ...r, second: r.second + i * 5 })));
  result.steps = steps;
  result.knee = { ratePerSec: rates[index]!, achievedPerSec: steps[index]!.achievedPerSec };
  return { result, gates: evaluateGates(result, { p99Ms: 40 }) };
}
