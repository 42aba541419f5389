// Benchmark: the autoscaling simulator against a live cluster with real replicas (issue 29, item 10).
// The shipped `local` profile with the demo model (one ONNX Runtime thread, one CPU per replica),
// 1-2 replicas, target 1 in flight, upscale 10 s, downscale 30 s, gets an open-loop step of
// 40 -> 250 -> 40 req/s for 60/90/90 s in each batching mode; the trace that was actually sent is then
// simulated (src/simulate/, as `serve autoscale simulate` does: the profile, the service time measured
// from the model as the CLI measures it, the replica start time seen live). Reports the per-second
// replica difference, each decision's time, replica-seconds and p99 per phase, against the targets:
// the same peak, replica-seconds within 10%, each decision within 10 s.
// Usage: node .benchdist-x/bench/autoscale-sim-live.js [--runs 3] [--modes adaptive,fixed] [--scale 0.5]
// Writes bench/results/autoscale-sim-live.{json,md} (a --scale other than 1 adds -scale<N> to the name),
// again after every run.
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { BatchingMode } from '../src/common/settings/table.js';
import { measureBatchTimes } from '../src/replica/batch-timing.js';
import { simulateWithLatencies } from '../src/simulate/cluster-model.js';
import type { ServiceTimeModel } from '../src/simulate/service-time.js';
import { loadNote, MODEL, startLocal, type LocalCluster } from './cluster-harness.js';
import { demoRegistry, writeResults } from './replica-harness.js';
import { compare, type Comparison } from './sim-live-compare.js';
import { liveRun, type LiveRun, type Phase } from './sim-live-harness.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    modes: { type: 'string', default: 'adaptive,fixed' },
    scale: { type: 'string', default: '1' },
  },
});
const runs = Number(values.runs);
const scale = Number(values.scale);
const modes = values.modes.split(',') as BatchingMode[];
const name = scale === 1 ? 'autoscale-sim-live' : `autoscale-sim-live-scale${scale}`;
const plan: Phase[] = [
  { seconds: Math.round(60 * scale), ratePerSec: 40 },
  { seconds: Math.round(90 * scale), ratePerSec: 250 },
  { seconds: Math.round(90 * scale), ratePerSec: 40 },
];
const log = (s: string) => process.stderr.write(s + '\n');

// The service time as `serve autoscale simulate` measures it without --service-time: the model opened
// as a replica opens it, batches 1, 2, 4 ... up to max_batch_size (32), 150 ms each, medians.
const registry = await demoRegistry();
const measured = await measureBatchTimes({
  registry,
  model: `${MODEL}@latest`,
  device: 'cpu',
  threads: 1,
  batches: [1, 2, 4, 8, 16, 32],
  msPerBatch: 150,
});
const serviceTime: ServiceTimeModel = {
  points: measured.timings.map((t) => [t.batch, t.medianMs]),
  source: `measured: ${measured.model}, 1 thread`,
};
log(`service time ${serviceTime.points.map(([b, ms]) => `${b}:${ms.toFixed(2)}ms`).join(' ')}`);

interface RunRecord {
  mode: BatchingMode;
  run: number;
  at: string;
  load: string;
  startupS: number;
  startupFrom: string;
  sent: number[];
  live: Omit<LiveRun, 'load'>;
  sim: { replicas: number[]; replicaSeconds: number[]; decisions: Array<{ second: number; from: number; to: number }> };
  requests: { ok: number; failed: number };
  comparison: Omit<Comparison, 'diffs'>;
  diffs: number[];
}
const records: RunRecord[] = [];
const startTimes: number[] = [];

for (let run = 1; run <= runs; run++) {
  for (const mode of modes) {
    log(`run ${run} ${mode}: starting the cluster (${loadNote()})`);
    const t0 = performance.now();
    const cluster: LocalCluster = await startLocal((p) => ({
      ...p,
      replicas: { ...p.replicas, min: 1, max: 2, initial: 1 },
      autoscaling: {
        ...p.autoscaling,
        enabled: true,
        targetOngoingRequests: 1,
        upscaleDelayMs: 10_000,
        downscaleDelayMs: 30_000,
      },
      batching: { ...p.batching, mode },
      runtime: { ...p.runtime, threads: 1 },
      resources: { ...p.resources, cpus: 1 },
    }));
    const clusterStartS = (performance.now() - t0) / 1000;
    // The simulator takes the very profile the cluster runs.
    const profile = cluster.profile;
    let live: LiveRun;
    try {
      live = await liveRun(cluster, plan);
    } finally {
      await cluster.stop();
    }
    startTimes.push(...live.startTimesS);
    const own = live.startTimesS.length > 0;
    const startupS = own ? median(live.startTimesS) : startTimes.length > 0 ? median(startTimes) : clusterStartS;
    const startupFrom = own
      ? 'this run'
      : startTimes.length > 0
        ? 'earlier runs (this one did not scale up)'
        : 'serve up of this run (no run scaled up yet)';
    const { result: sim, latenciesBySecond } = simulateWithLatencies({
      profile,
      trace: { ratePerSec: live.load.sentPerSecond, source: 'live' },
      serviceTime,
      startupMs: startupS * 1000,
      initialReplicas: 1,
    });
    const c = compare(live, sim, latenciesBySecond, plan);
    const { load, ...liveRest } = live;
    const ok = load.answers.filter((a) => a.ok).length;
    const { diffs, ...comparison } = c;
    records.push({
      mode,
      run,
      at: new Date().toISOString(),
      load: loadNote(),
      startupS,
      startupFrom,
      sent: load.sentPerSecond,
      live: liveRest,
      sim: {
        replicas: sim.seconds.map((s) => s.replicas),
        replicaSeconds: sim.seconds.map((s) => s.replicaSeconds),
        decisions: sim.decisions.map((d) => ({ second: d.second, from: d.from, to: d.to })),
      },
      requests: { ok, failed: load.answers.length - ok },
      comparison,
      diffs,
    });
    log(
      `run ${run} ${mode}: peak live ${c.livePeak} sim ${c.simPeak}; replica-seconds live ${c.liveReplicaSeconds.toFixed(1)} sim ${c.simReplicaSeconds.toFixed(1)} (${pct(c.replicaSecondsError)}); decisions ${c.decisions.map(decisionText).join(', ') || 'none'}`,
    );
    await writeResults(
      name,
      { cpus: os.availableParallelism(), node: process.version, plan, serviceTime, runs: records },
      markdown(),
    );
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function pct(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}

function decisionText(d: Comparison['decisions'][number]): string {
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

function markdown(): string {
  const yes = (b: boolean) => (b ? 'met' : '**missed**');
  const lines = [
    '# Autoscaling: the simulator against a live cluster with real replicas',
    '',
    `${os.availableParallelism()} CPUs · Node ${process.version} · the \`local\` profile, demo model (cnn-lstm), 1 ONNX Runtime thread and 1 CPU per replica, 1-2 replicas, target 1 in flight, upscale 10 s, downscale 30 s, look-back 10 s, sampled every 1 s; step ${plan.map((p) => `${p.ratePerSec} req/s for ${p.seconds} s`).join(', then ')} (JSON requests, open loop); simulated on the trace sent, service time ${serviceTime.points.map(([b, ms]) => `${b}:${ms.toFixed(2)}ms`).join(', ')} (${serviceTime.source}).`,
    '',
    'Targets: the same peak replica count, replica-seconds within 10%, each scale decision within 10 s.',
    '',
    '| mode | run | peak live / sim | replica-s live / sim | error | decisions (live / sim, s) | seconds equal | start s | peak | replica-s | decisions |',
    '|---|---:|---:|---:|---:|---|---:|---:|---|---|---|',
  ];
  for (const r of records) {
    const c = r.comparison;
    const equal = r.diffs.filter((d) => d === 0).length;
    lines.push(
      `| ${r.mode} | ${r.run} | ${c.livePeak} / ${c.simPeak} | ${c.liveReplicaSeconds.toFixed(1)} / ${c.simReplicaSeconds.toFixed(1)} | ${pct(c.replicaSecondsError)} | ${c.decisions.map(decisionText).join('; ') || 'none / none'} | ${equal} of ${r.diffs.length} | ${r.startupS.toFixed(2)} | ${yes(c.samePeak)} | ${yes(c.replicaSecondsWithin10)} | ${yes(c.decisionsWithin10s)} |`,
    );
  }
  lines.push('', '## Per phase (live / simulated)', '');
  lines.push(
    "Signal: the policy's in flight + queued over its 10 s look-back, averaged over the phase's second half. " +
      "Rate × mean: the requests in flight at the gateway by Little's law (the replicas' in flight is at most that).",
    '',
  );
  lines.push(
    '| mode | run | phase | req/s | p99 ms | mean ms | rate × mean | replica-s | failed | signal (2nd half) |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of records)
    for (const p of r.comparison.phases)
      lines.push(
        `| ${r.mode} | ${r.run} | ${p.fromS}-${p.toS} s | ${p.ratePerSec} | ${p.liveP99Ms.toFixed(1)} / ${p.simP99Ms.toFixed(1)} | ${p.liveMeanMs.toFixed(1)} / ${p.simMeanMs.toFixed(1)} | ${((p.ratePerSec * p.liveMeanMs) / 1000).toFixed(2)} / ${((p.ratePerSec * p.simMeanMs) / 1000).toFixed(2)} | ${p.liveReplicaSeconds.toFixed(1)} / ${p.simReplicaSeconds.toFixed(1)} | ${p.liveFailed} / ${p.simFailed} | ${p.liveSignal.toFixed(2)} / ${p.simSignal.toFixed(2)} |`,
      );
  lines.push('', '## Replicas aimed for, second by second (count×seconds)', '');
  for (const r of records) {
    lines.push(
      `- ${r.mode} run ${r.run} (${r.at}, ${r.load}; start time ${r.startupS.toFixed(2)} s from ${r.startupFrom}; ${r.requests.ok} ok, ${r.requests.failed} failed)`,
      `  - live: ${runs1(r.live.replicas)}`,
      `  - sim:  ${runs1(r.sim.replicas)}`,
      `  - |difference|: mean ${(r.diffs.reduce((a, b) => a + b, 0) / r.diffs.length).toFixed(3)}, largest ${Math.max(...r.diffs)}`,
    );
  }
  return lines.join('\n') + '\n';
}
