// Benchmark: a replica's per-request handling time outside the batch queue and the session (issue 29,
// item 10; the default of `serve autoscale simulate --handling-ms`). The shipped `local` profile with
// the demo model, one replica (one ONNX Runtime thread, one CPU), the autoscaler off, adaptive
// batching; open-loop JSON requests at each rate for some seconds. Between scrapes of the replica's
// /metrics at each rate's start and end (replica-stay.ts): the mean stay of a request as the replica
// counts it (the span of serve_replica_in_flight), its batch-queue wait, its batch's run, and the
// rest (handling); the replica process's CPU per request from /proc; and serve_replica_in_flight read
// every 97 ms against rate × mean stay.
// Usage: node dist/bench/replica-handling.js [--rates 40,250] [--seconds 20] [--name replica-handling]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { cpuSeconds, loadNote, startLocal } from './cluster-harness.js';
import { writeResults } from './replica-harness.js';
import { scrapeStay, stayBetween, type StayFigures } from './replica-stay.js';
import { stepLoad } from './sim-live-harness.js';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '40,250' },
    seconds: { type: 'string', default: '20' },
    name: { type: 'string', default: 'replica-handling' },
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const log = (s: string) => process.stderr.write(s + '\n');

const cluster = await startLocal((p) => ({
  ...p,
  replicas: { ...p.replicas, min: 1, max: 1, initial: 1 },
  autoscaling: { ...p.autoscaling, enabled: false },
  batching: { ...p.batching, mode: 'adaptive' },
  runtime: { ...p.runtime, threads: 1 },
  resources: { ...p.resources, cpus: 1 },
}));
interface Row extends StayFigures {
  ratePerSec: number;
  cpuMsPerRequest: number;
  sampledInFlight: number;
  load: string;
}
const rows: Row[] = [];
try {
  const replica = cluster.status().replicas.find((r) => r.state === 'ready' && r.url !== undefined)!;
  const url = replica.url!;
  const pid = replica.pid!;
  // Warm-up: connections open, the JIT warm.
  await stepLoad(`${cluster.url}/v2/models/cnn-lstm/infer`, [{ seconds: 3, ratePerSec: 100 }]);
  for (const ratePerSec of rates) {
    const a = await scrapeStay(url);
    const cpu0 = await cpuSeconds(pid);
    const samples: number[] = [];
    const sampler = setInterval(() => void scrapeStay(url).then((s) => samples.push(s.inFlight)), 97);
    await stepLoad(`${cluster.url}/v2/models/cnn-lstm/infer`, [{ seconds, ratePerSec }]);
    clearInterval(sampler);
    const cpu1 = await cpuSeconds(pid);
    const f = stayBetween(a, await scrapeStay(url));
    const row: Row = {
      ratePerSec,
      ...f,
      cpuMsPerRequest: ((cpu1 - cpu0) * 1000) / Math.max(1, f.requests),
      // Each scrape's own request is not an infer request: the gauge counts only those.
      sampledInFlight: samples.reduce((x, y) => x + y, 0) / Math.max(1, samples.length),
      load: loadNote(),
    };
    rows.push(row);
    log(
      `${ratePerSec} req/s: stay ${f.stayMs.toFixed(2)} ms = queue ${f.queueMs.toFixed(2)} + run ${f.runMs.toFixed(2)} + handling ${f.handlingMs.toFixed(2)}; cpu ${row.cpuMsPerRequest.toFixed(2)} ms/request; in flight sampled ${row.sampledInFlight.toFixed(2)} vs rate × stay ${((ratePerSec * f.stayMs) / 1000).toFixed(2)} (${row.load})`,
    );
  }
} finally {
  await cluster.stop();
}

const lines = [
  '# A replica’s per-request handling time outside the batch queue and the session',
  '',
  `${new Date().toISOString()} · ${os.availableParallelism()} CPUs · Node ${process.version} · the \`local\` profile, demo model (cnn-lstm), 1 replica, 1 ONNX Runtime thread, 1 CPU, adaptive batching, autoscaler off; open-loop JSON requests (960 numbers), ${seconds} s per rate after a 3 s warm-up.`,
  '',
  'Stay: serve_replica_request_duration_seconds (the span of serve_replica_in_flight, the gauge the autoscaler reads); queue: serve_replica_queue_wait_seconds; run: mean serve_replica_inference_duration_seconds; handling = stay - queue - run. CPU: the replica process (all threads) from /proc per request. In flight: the gauge read every 97 ms, against rate × mean stay (Little’s law).',
  '',
  '| req/s | requests | stay ms | queue ms | run ms | rows/run | handling ms | replica CPU ms/request | in flight sampled | rate × stay | load average |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map(
    (r) =>
      `| ${r.ratePerSec} | ${r.requests} | ${r.stayMs.toFixed(2)} | ${r.queueMs.toFixed(3)} | ${r.runMs.toFixed(3)} | ${r.batchRows.toFixed(2)} | **${r.handlingMs.toFixed(2)}** | ${r.cpuMsPerRequest.toFixed(2)} | ${r.sampledInFlight.toFixed(2)} | ${((r.ratePerSec * r.stayMs) / 1000).toFixed(2)} | ${r.load.replace('load average ', '')} |`,
  ),
];
await writeResults(
  values.name,
  { cpus: os.availableParallelism(), node: process.version, seconds, rows },
  lines.join('\n') + '\n',
);
