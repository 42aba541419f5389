// Benchmark: how closely the autoscaling simulator predicts a live cluster (control plane). A real
// gateway in front of fake batching replicas (50 ms a batch of 4) gets a step of open-loop load,
// 5 s at 20 req/s, 8 s at 150, 8 s at 20; the simulator then runs on the very trace that was sent,
// with the replica start time seen live, and each second's replica count is compared. The test
// (test/cluster/autoscale.system.test.ts) keeps the behaviour on a shorter step; this keeps the figure.
// Writes bench/results/autoscale-sim.{json,md} (with the load average: on a busy machine the live
// side lags and the figure drops). Usage: node dist/bench/autoscale-sim.js
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../src/cluster/controller/controller.js';
import { simulate } from '../src/simulate/cluster-model.js';
import { parseServiceTime } from '../src/simulate/service-time.js';
import { cliEntry } from '../test/helpers/paths.js';
import { fakeCli, tempWorld, testProfile, waitFor } from '../test/cluster/helpers.js';
import { openLoad } from '../test/cluster/open-load.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const INFER_MS = 50;
process.env.FAKE_REAL_CLI = cliEntry;
process.env.FAKE_INFER_MS = String(INFER_MS);
process.env.FAKE_BATCHING = '1';

const w = tempWorld();
const profile = testProfile(w.registry, {
  replicas: { min: 1, max: 5, initial: 1 },
  autoscaling: {
    enabled: true,
    targetOngoingRequests: 4,
    upscaleDelayMs: 1000,
    downscaleDelayMs: 2000,
    metricsIntervalMs: 200,
    lookbackMs: 1000,
    latencyGuard: false,
  },
  // Fixed mode, as in its recorded result (the fake replicas now batch in either mode, with the replica's own rule).
  batching: { maxBatchSize: 4, batchWaitMs: 2, mode: 'fixed', maxQueuedRequests: 64 },
  gateway: { requestTimeoutMs: 8000, maxQueuedRequests: 1024 },
});
const cluster = await startCluster(profile, { stateDir: w.stateDir, cliEntry: fakeCli });
try {
  const plan = [
    { seconds: 5, ratePerSec: 20 },
    { seconds: 8, ratePerSec: 150 },
    { seconds: 8, ratePerSec: 20 },
  ];
  const stepS = plan[0]!.seconds;
  const load = openLoad(`${cluster.gatewayUrl}/v2/models/demo/infer`, plan);
  const samples: Array<{ atS: number; desired: number; ready: number }> = [];
  const sampler = setInterval(() => {
    const s = cluster.status();
    samples.push({
      atS: (performance.now() - load.startedAt) / 1000,
      desired: s.desiredReplicas,
      ready: s.replicas.filter((r) => r.state === 'ready').length,
    });
  }, 100);
  const result = await load.done;
  clearInterval(sampler);
  await waitFor('back to 1 replica', () => cluster.status().desiredReplicas === 1, 10_000);
  const asked = samples.find((x) => x.atS > stepS && x.desired > 1);
  const up = samples.find((x) => x.atS > stepS && x.ready > 1);
  const startS = up && asked ? up.atS - asked.atS : 0.5;
  const sim = simulate({
    profile,
    trace: { ratePerSec: result.sentPerSecond, source: 'live' },
    serviceTime: parseServiceTime(`${INFER_MS}ms`),
    startupMs: Math.max(100, startS * 1000),
    initialReplicas: 1,
  });
  const live = sim.seconds.map((s) => [...samples].reverse().find((x) => x.atS <= s.second + 1)?.desired ?? 1);
  const diffs = sim.seconds.map((s, i) => Math.abs(s.replicas - live[i]!));
  const summary = {
    at: new Date().toISOString(),
    cpus: os.availableParallelism(),
    loadAverage1m: os.loadavg()[0]!,
    node: process.version,
    plan,
    sent: result.sentPerSecond,
    live,
    sim: sim.seconds.map((s) => s.replicas),
    withinOneShare: diffs.filter((d) => d <= 1).length / diffs.length,
    meanAbsDiff: diffs.reduce((a, b) => a + b, 0) / diffs.length,
    replicaStartS: startS,
    readyAboveOneAtS: up?.atS,
    requestsOk: result.ok,
    requestsFailed: result.failures.length,
  };
  const out = path.join(repoRoot, 'bench', 'results');
  writeFileSync(path.join(out, 'autoscale-sim.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(
    path.join(out, 'autoscale-sim.md'),
    [
      '# Autoscaling: the simulator against a live cluster, a step of load',
      '',
      `${summary.at} · ${summary.cpus} CPUs · load average ${summary.loadAverage1m.toFixed(1)} · Node ${summary.node} · fake batching replicas (${INFER_MS} ms a batch of 4) behind the real gateway`,
      '',
      `| second | ${sim.seconds.map((s) => s.second).join(' | ')} |`,
      `|---|${sim.seconds.map(() => '---:').join('|')}|`,
      `| sent req/s | ${result.sentPerSecond.join(' | ')} |`,
      `| live desired | ${live.join(' | ')} |`,
      `| simulated | ${summary.sim.join(' | ')} |`,
      '',
      `Within one replica in ${(summary.withinOneShare * 100).toFixed(0)}% of ${diffs.length} s; mean |difference| ${summary.meanAbsDiff.toFixed(2)}; replica start ${startS.toFixed(2)} s; ready above 1 at ${up?.atS.toFixed(2) ?? 'never'} s (step at ${stepS} s).`,
      `Requests: ${result.ok} ok, ${result.failures.length} failed.`,
      '',
    ].join('\n'),
  );
  process.stderr.write(`within one replica in ${(summary.withinOneShare * 100).toFixed(0)}% of ${diffs.length} s\n`);
} finally {
  await cluster.stop();
  w.cleanup();
}
