// The markdown report of bench/autoscale-sim-live.ts (bench): each run's live figures against each
// way it was simulated (the issue's three targets), per phase, and second by second.
import os from 'node:os';
import type { ServiceTimeModel } from '../src/simulate/service-time.js';
import type { RunRecord } from './autoscale-sim-live.js';
import type { Comparison } from './sim-live-compare.js';
import type { Phase } from './sim-live-harness.js';

export function pct(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}

export function decisionText(d: Comparison['decisions'][number]): string {
  const t = (s: number | undefined) => (s === undefined ? 'none' : `${s.toFixed(1)} s`);
  return `${d.from}->${d.to} live ${t(d.liveS)} sim ${t(d.simS)}`;
}

/** "1×72 2×118 1×50": a replica count and how many seconds in a row it held. */
function runs1(xs: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j < xs.length && xs[j] === xs[i]) j++;
    out.push(`${xs[i]}×${j - i}`);
    i = j;
  }
  return out.join(' ');
}

export function markdown(records: readonly RunRecord[], plan: readonly Phase[], serviceTime: ServiceTimeModel): string {
  const yes = (b: boolean) => (b ? 'met' : '**missed**');
  const f = (x: number | undefined, d = 2) => (x === undefined ? '-' : x.toFixed(d));
  const lines = [
    '# Autoscaling: the simulator against a live cluster with real replicas',
    '',
    `${os.availableParallelism()} CPUs · Node ${process.version} · the \`local\` profile, demo model (cnn-lstm), 1 ONNX Runtime thread and 1 CPU per replica, 1-2 replicas, target 1 in flight, upscale 10 s, downscale 30 s, look-back 10 s, sampled every 1 s; step ${plan.map((p) => `${p.ratePerSec} req/s for ${p.seconds} s`).join(', then ')} (JSON requests, open loop); simulated on the trace sent, service time ${serviceTime.points.map(([b, ms]) => `${b}:${ms.toFixed(2)}ms`).join(', ')} (${serviceTime.source}).`,
    '',
    'Each run is simulated three ways: **session only** (no handling time, evenly spaced arrivals: the model before `handlingMs`), **defaults** (what `serve autoscale simulate` assumes without `--handling-ms`: 0.75 ms a request, random arrivals), and **this run** (the handling time an M/D/1 queue needs to hold the mean stay that this run’s replica reported in the first 10 s of the high phase, before any live decision; random arrivals).',
    '',
    'Targets: the same peak replica count, replica-seconds within 10%, each scale decision within 10 s.',
    '',
    '| mode | run | simulated with | handling ms | peak live / sim | replica-s live / sim | error | decisions (live / sim, s) | seconds equal | peak | replica-s | decisions |',
    '|---|---:|---|---:|---:|---:|---:|---|---:|---|---|---|',
  ];
  for (const r of records)
    for (const s of r.sims) {
      const c = s.comparison;
      lines.push(
        `| ${r.mode} | ${r.run} | ${s.name} | ${s.handlingMs.toFixed(2)} | ${c.livePeak} / ${c.simPeak} | ${c.liveReplicaSeconds.toFixed(1)} / ${c.simReplicaSeconds.toFixed(1)} | ${pct(c.replicaSecondsError)} | ${c.decisions.map(decisionText).join('; ') || 'none / none'} | ${s.diffs.filter((d) => d === 0).length} of ${s.diffs.length} | ${yes(c.samePeak)} | ${yes(c.replicaSecondsWithin10)} | ${yes(c.decisionsWithin10s)} |`,
      );
    }
  lines.push('', '## The live replicas’ own account of a request’s stay, per phase', '');
  lines.push(
    'From each replica’s /metrics, scraped every second (all replicas together, weighed by requests): stay (serve_replica_request_duration_seconds, the span of serve_replica_in_flight), batch-queue wait, its batch’s run (mean serve_replica_inference_duration_seconds, timed on the main thread around the worker’s run), and handling = stay - queue - run. Calibration: the replica in the first 10 s of the high phase.',
    '',
    '| mode | run | phase | requests | stay ms | queue ms | run ms | rows/run | handling ms |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of records) {
    let fromS = 0;
    const rows = plan.map((p, i) => {
      const name = `${fromS}-${(fromS += p.seconds)} s`;
      return [name, r.stay[i]] as const;
    });
    if (r.calibration)
      rows.push([`calibration ${r.calibration.fromS.toFixed(0)}-${r.calibration.toS.toFixed(0)} s`, r.calibration]);
    for (const [name, s] of rows)
      lines.push(
        `| ${r.mode} | ${r.run} | ${name} | ${s?.requests ?? '-'} | ${f(s?.stayMs)} | ${f(s?.queueMs)} | ${f(s?.runMs)} | ${f(s?.batchRows)} | ${f(s?.handlingMs)} |`,
      );
  }
  lines.push('', '## Per phase (live / simulated with defaults / this run)', '');
  lines.push(
    "Signal: the policy's in flight + queued over its 10 s look-back, averaged over the phase's second half. " +
      "Rate × mean: the requests in flight at the gateway by Little's law (the replicas' in flight is at most that).",
    '',
    '| mode | run | phase | req/s | p99 ms | mean ms | rate × mean | replica-s | failed | signal (2nd half) |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of records) {
    const sims = r.sims.filter((s) => s.name !== 'session only');
    sims[0]?.comparison.phases.forEach((p0, i) => {
      const ps = sims.map((s) => s.comparison.phases[i]!);
      const both = (g: (p: (typeof ps)[number]) => string) =>
        [g(p0).split('|')[0], ...ps.map((p) => g(p).split('|')[1])].join(' / ');
      lines.push(
        `| ${r.mode} | ${r.run} | ${p0.fromS}-${p0.toS} s | ${p0.ratePerSec} | ${both((p) => `${p.liveP99Ms.toFixed(1)}|${p.simP99Ms.toFixed(1)}`)} | ${both((p) => `${p.liveMeanMs.toFixed(1)}|${p.simMeanMs.toFixed(1)}`)} | ${both((p) => `${((p.ratePerSec * p.liveMeanMs) / 1000).toFixed(2)}|${((p.ratePerSec * p.simMeanMs) / 1000).toFixed(2)}`)} | ${both((p) => `${p.liveReplicaSeconds.toFixed(1)}|${p.simReplicaSeconds.toFixed(1)}`)} | ${both((p) => `${p.liveFailed}|${p.simFailed}`)} | ${both((p) => `${p.liveSignal.toFixed(2)}|${p.simSignal.toFixed(2)}`)} |`,
      );
    });
  }
  lines.push('', '## Replicas aimed for, second by second (count×seconds)', '');
  for (const r of records) {
    lines.push(
      `- ${r.mode} run ${r.run} (${r.at}, ${r.load}; start time ${r.startupS.toFixed(2)} s from ${r.startupFrom}; ${r.requests.ok} ok, ${r.requests.failed} failed)`,
      `  - live: ${runs1(r.live.replicas)}`,
    );
    for (const s of r.sims)
      lines.push(
        `  - sim (${s.name}): ${runs1(s.sim.replicas)}; |difference| mean ${(s.diffs.reduce((a, b) => a + b, 0) / s.diffs.length).toFixed(3)}, largest ${Math.max(...s.diffs)}`,
      );
  }
  return lines.join('\n') + '\n';
}
