// Benchmark: the autoscaling simulator against a live cluster with real replicas (issue 29, item 10).
// The shipped `local` profile with the demo model (one ONNX Runtime thread, one CPU per replica),
// 1-2 replicas, target 1 in flight, upscale 10 s, downscale 30 s, gets an open-loop step of
// 40 -> 250 -> 40 req/s for 60/90/90 s in each batching mode; the trace that was actually sent is then
// simulated (src/simulate/, as `serve autoscale simulate` does: the profile, the service time measured
// from the model as the CLI measures it, the replica start time seen live). Reports the per-second
// replica difference, each decision's time, replica-seconds and p99 per phase, against the targets:
// the same peak, replica-seconds within 10%, each decision within 10 s. Each run is simulated three
// ways: the session alone (no handling time, evenly spaced arrivals: the model before handlingMs),
// the CLI's defaults (handlingMs DEFAULT_HANDLING_MS, random arrivals), and with the handling time
// this run's replica showed in the first 10 s of the 250 req/s phase, before any live decision (its
// own mean stay from /metrics, as an M/D/1 queue's: replica-stay.ts).
// Usage: node dist/bench/autoscale-sim-live.js [--runs 3] [--modes adaptive,fixed] [--scale 0.5] [--name N]
// Writes bench/results/<name>.{json,md} (default autoscale-sim-live; a --scale other than 1 adds
// -scale<N>), again after every run.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BatchingMode } from '../src/common/settings/table.js';
import { measureBatchTimes } from '../src/replica/batch-timing.js';
import type { ArrivalPattern } from '../src/simulate/arrivals.js';
import { simulateWithLatencies } from '../src/simulate/cluster-model.js';
import { serviceMs, type ServiceTimeModel } from '../src/simulate/service-time.js';
import { DEFAULT_ARRIVALS, DEFAULT_HANDLING_MS } from '../src/simulate/simulation.js';
import { loadNote, MODEL, startLocal, type LocalCluster } from './cluster-harness.js';
import { demoRegistry, repoRoot, writeResults } from './replica-harness.js';
import { compare, type Comparison } from './sim-live-compare.js';
import { decisionText, markdown, pct } from './sim-live-report.js';
import { md1ServiceMs, stayIn, type StayFigures } from './replica-stay.js';
import { liveRun, type LiveRun, type Phase } from './sim-live-harness.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    modes: { type: 'string', default: 'adaptive,fixed' },
    scale: { type: 'string', default: '1' },
    name: { type: 'string', default: 'autoscale-sim-live' },
    // Adds to the runs already in bench/results/<name>.json (a series run a few runs at a time).
    append: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const scale = Number(values.scale);
const modes = values.modes.split(',') as BatchingMode[];
const name = scale === 1 ? values.name : `${values.name}-scale${scale}`;
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

/** How a run was simulated: the handling time per request and the arrival pattern. */
interface Variant {
  name: 'session only' | 'defaults' | 'this run';
  handlingMs: number;
  arrivals: ArrivalPattern;
}

export interface SimRecord extends Variant {
  sim: { replicas: number[]; replicaSeconds: number[]; decisions: Array<{ second: number; from: number; to: number }> };
  comparison: Omit<Comparison, 'diffs'>;
  diffs: number[];
}

export interface RunRecord {
  mode: BatchingMode;
  run: number;
  at: string;
  load: string;
  startupS: number;
  startupFrom: string;
  sent: number[];
  live: Omit<LiveRun, 'load'>;
  /** The replicas' own stay figures per phase (all replicas together), and in the calibration window. */
  stay: Array<StayFigures | undefined>;
  calibration: (StayFigures & { fromS: number; toS: number; ratePerSec: number }) | undefined;
  requests: { ok: number; failed: number };
  sims: SimRecord[];
}
const records: RunRecord[] = values.append
  ? await readFile(path.join(repoRoot, 'bench', 'results', `${name}.json`), 'utf8').then(
      (t) => (JSON.parse(t) as { runs: RunRecord[] }).runs,
      () => [],
    )
  : [];
// SIGTERM (a quiet window begins): stop the cluster of the run under way, keep the runs finished.
let current: LocalCluster | undefined;
process.once('SIGTERM', () => {
  log('SIGTERM: stopping the cluster; the runs finished so far are written');
  void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(143));
});
const startTimes: number[] = records.flatMap((r) => r.live.startTimesS);

/** All replicas' stay figures from `fromS` to `toS`, weighed by requests. */
function stayOver(live: LiveRun, fromS: number, toS: number): StayFigures | undefined {
  const parts = [...new Set(live.stay.map((x) => x.id))].flatMap((id) => stayIn(live.stay, id, fromS, toS) ?? []);
  const n = parts.reduce((a, p) => a + p.requests, 0);
  if (n === 0) return undefined;
  const w = (k: keyof StayFigures) => parts.reduce((a, p) => a + p[k] * p.requests, 0) / n;
  return {
    requests: n,
    stayMs: w('stayMs'),
    queueMs: w('queueMs'),
    runMs: w('runMs'),
    batchRows: w('batchRows'),
    handlingMs: w('handlingMs'),
  };
}

for (let i = 1; i <= runs; i++) {
  for (const mode of modes) {
    const run = records.filter((r) => r.mode === mode).length + 1;
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
    current = cluster;
    const clusterStartS = (performance.now() - t0) / 1000;
    // The simulator takes the very profile the cluster runs.
    const profile = cluster.profile;
    let live: LiveRun;
    try {
      live = await liveRun(cluster, plan);
    } finally {
      await cluster.stop();
      current = undefined;
    }
    startTimes.push(...live.startTimesS);
    const own = live.startTimesS.length > 0;
    const startupS = own ? median(live.startTimesS) : startTimes.length > 0 ? median(startTimes) : clusterStartS;
    const startupFrom = own
      ? 'this run'
      : startTimes.length > 0
        ? 'earlier runs (this one did not scale up)'
        : 'serve up of this run (no run scaled up yet)';
    // The first 10 s of the high phase, one replica: the handling that the M/D/1 queue needs to hold
    // the stay the replica showed (less the session's run, which the simulation adds itself).
    const highFromS = plan[0]!.seconds;
    const calibration = stayIn(live.stay, live.stay[0]?.id ?? '', highFromS, highFromS + 10);
    const variants: Variant[] = [
      { name: 'session only', handlingMs: 0, arrivals: 'even' },
      { name: 'defaults', handlingMs: DEFAULT_HANDLING_MS, arrivals: DEFAULT_ARRIVALS },
    ];
    if (calibration)
      variants.push({
        name: 'this run',
        handlingMs: md1ServiceMs(calibration.ratePerSec, calibration.stayMs - serviceMs(serviceTime, 1)),
        arrivals: 'random',
      });
    const sims = variants.map((v): SimRecord => {
      const { result: sim, latenciesBySecond } = simulateWithLatencies({
        profile,
        trace: { ratePerSec: live.load.sentPerSecond, source: 'live' },
        serviceTime,
        startupMs: startupS * 1000,
        initialReplicas: 1,
        handlingMs: v.handlingMs,
        arrivals: v.arrivals,
      });
      const { diffs, ...comparison } = compare(live, sim, latenciesBySecond, plan);
      return {
        ...v,
        sim: {
          replicas: sim.seconds.map((s) => s.replicas),
          replicaSeconds: sim.seconds.map((s) => s.replicaSeconds),
          decisions: sim.decisions.map((d) => ({ second: d.second, from: d.from, to: d.to })),
        },
        comparison,
        diffs,
      };
    });
    const { load, ...liveRest } = live;
    const ok = load.answers.filter((a) => a.ok).length;
    let fromS = 0;
    const stay = plan.map((p) => stayOver(live, fromS, (fromS += p.seconds)));
    records.push({
      mode,
      run,
      at: new Date().toISOString(),
      load: loadNote(),
      startupS,
      startupFrom,
      sent: load.sentPerSecond,
      live: liveRest,
      stay,
      calibration,
      requests: { ok, failed: load.answers.length - ok },
      sims,
    });
    for (const s of sims) {
      const c = s.comparison;
      log(
        `run ${run} ${mode} [${s.name}, handling ${s.handlingMs.toFixed(2)} ms]: peak live ${c.livePeak} sim ${c.simPeak}; replica-seconds live ${c.liveReplicaSeconds.toFixed(1)} sim ${c.simReplicaSeconds.toFixed(1)} (${pct(c.replicaSecondsError)}); decisions ${c.decisions.map(decisionText).join(', ') || 'none'}`,
      );
    }
    await writeResults(
      name,
      { cpus: os.availableParallelism(), node: process.version, plan, serviceTime, runs: records },
      markdown(records, plan, serviceTime),
    );
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
