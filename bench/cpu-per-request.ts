// Benchmark (issue 12 throughput): CPU time per request of each process of `serve up --profile local`
// (gateway, each replica, the `serve bench` generator) at a fixed open-loop rate, for JSON and
// binary single-row requests. On a machine shared with other work the ladder's rates swing with the
// load; CPU per request does much less, so it is how changes are compared: several builds
// (`--builds a=path,b=path`) alternate `--rounds` times in one run and the medians are compared.
// Writes bench/results/cpu-per-request.{json,md}.
// Usage: node dist/bench/cpu-per-request.js [--builds new=dist/src/cli/main.js,old=...] [--rate 1000]
//          [--duration-s 8] [--rounds 3] [--modes json,binary] [--tag NAME]
import { parseArgs } from 'node:util';
import type { Profile } from '../src/profile/types.js';
import { cpuDuring, loadNote, serveBench, startLocal } from './cluster-harness.js';
import { cliEntry, machine, writeResults } from './replica-harness.js';

const { values } = parseArgs({
  options: {
    builds: { type: 'string', default: `new=${cliEntry}` },
    rate: { type: 'string', default: '1000' },
    'duration-s': { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    modes: { type: 'string', default: 'json,binary' },
    // Batching modes to compare (each a separate cluster of every build): adaptive, fixed, off (max_batch_size 1).
    batching: { type: 'string', default: 'adaptive' },
    tag: { type: 'string' },
  },
});
const batchings = values.batching!.split(',') as Array<'adaptive' | 'fixed' | 'off'>;
const builds = values.builds!.split(',').flatMap((b) =>
  batchings.map((mode) => ({
    label: `${b.slice(0, b.indexOf('='))}${batchings.length > 1 ? ` ${mode}` : ''}`,
    cli: b.slice(b.indexOf('=') + 1),
    mode,
  })),
);
/** The local profile with `mode` batching (an old build's profile has no batching.mode: it is only set when asked for). */
const withBatching =
  (mode: 'adaptive' | 'fixed' | 'off') =>
  (p: Profile): Profile =>
    mode === 'off'
      ? { ...p, batching: { ...p.batching, maxBatchSize: 1 } }
      : batchings.length > 1
        ? { ...p, batching: { ...p.batching, mode } }
        : p;
const rate = Number(values.rate);
const durationS = Number(values['duration-s']);
const rounds = Number(values.rounds);
const modes = values.modes!.split(',') as Array<'json' | 'binary'>;

/** Microseconds of CPU per request: gateway, replicas (together), generator, all. */
interface Sample {
  gatewayUs: number;
  replicasUs: number;
  generatorUs: number;
  totalUs: number;
  p50Ms: number;
  p99Ms: number;
  load: string;
}

const samples = new Map<string, Sample[]>();
for (let round = 0; round < rounds; round++) {
  for (const mode of modes) {
    for (const b of builds) {
      const cluster = await startLocal(withBatching(b.mode), b.cli);
      try {
        // A short warm-up run first (JIT, connection pools, the replicas' batch-cost curves).
        await serveBench(
          cluster.url,
          ['--rps', String(rate), '--duration', '2s', ...(mode === 'binary' ? ['--binary'] : [])],
          b.cli,
        );
        const { result: run, cpuS } = await cpuDuring(cluster.pids, () =>
          serveBench(
            cluster.url,
            ['--rps', String(rate), '--duration', `${durationS}s`, ...(mode === 'binary' ? ['--binary'] : [])],
            b.cli,
          ),
        );
        const n = run.result.requests.ok + run.result.requests.errors;
        const us = (s: number) => (s * 1e6) / n;
        const replicasS = Object.entries(cpuS)
          .filter(([k]) => k !== 'gateway')
          .reduce((a, [, v]) => a + v, 0);
        const s: Sample = {
          gatewayUs: us(cpuS.gateway!),
          replicasUs: us(replicasS),
          generatorUs: us(run.generatorCpuS),
          totalUs: us(cpuS.gateway! + replicasS + run.generatorCpuS),
          p50Ms: run.result.latency.p50Ms,
          p99Ms: run.result.latency.p99Ms,
          load: loadNote(),
        };
        const key = `${b.label} ${mode}`;
        samples.set(key, [...(samples.get(key) ?? []), s]);
        process.stderr.write(
          `round ${round + 1} ${key}: gateway ${s.gatewayUs.toFixed(0)} us, replicas ${s.replicasUs.toFixed(0)} us, generator ${s.generatorUs.toFixed(0)} us per request; p50 ${s.p50Ms.toFixed(2)} ms (${s.load})\n`,
        );
      } finally {
        await cluster.stop();
      }
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = [...samples].map(([key, ss]) => ({
  key,
  gatewayUs: median(ss.map((s) => s.gatewayUs)),
  replicasUs: median(ss.map((s) => s.replicasUs)),
  generatorUs: median(ss.map((s) => s.generatorUs)),
  totalUs: median(ss.map((s) => s.totalUs)),
  p50Ms: median(ss.map((s) => s.p50Ms)),
  samples: ss,
}));
const at = new Date().toISOString();
const rows = summary.map(
  (s) =>
    `| ${s.key} | ${s.gatewayUs.toFixed(0)} | ${s.replicasUs.toFixed(0)} | ${s.generatorUs.toFixed(0)} | **${s.totalUs.toFixed(0)}** | ${(2e6 / s.totalUs).toFixed(0)} | ${s.p50Ms.toFixed(2)} |`,
);
const ratioLines =
  builds.length < 2
    ? []
    : modes.map((m) => {
        const [a, b] = [
          summary.find((s) => s.key === `${builds[0]!.label} ${m}`)!,
          summary.find((s) => s.key === `${builds[1]!.label} ${m}`)!,
        ];
        return `- ${m}: CPU per request ${builds[0]!.label} / ${builds[1]!.label} = ${(a.totalUs / b.totalUs).toFixed(2)}x (gateway ${(a.gatewayUs / b.gatewayUs).toFixed(2)}x, replicas ${(a.replicasUs / b.replicasUs).toFixed(2)}x, generator ${(a.generatorUs / b.generatorUs).toFixed(2)}x)`;
      });
const md =
  `# CPU per request: serve up --profile local at ${rate} req/s\n\n${at}, ${machine()}${values.tag ? `, ${values.tag}` : ''}\n\n` +
  `Open loop at ${rate} req/s for ${durationS} s (after a 2 s warm-up run), single-row demo-model requests, a separate \`serve bench\` process; CPU (user + system) of each process from /proc over the measured run, divided by the requests answered; medians of ${rounds} rounds, builds alternating. ` +
  '"2 cores / total" is the rate at which the whole pipeline would use both cores of this machine, a ceiling on the ladder.\n\n' +
  '| build, payload | gateway µs | replicas µs | generator µs | total µs | 2 cores / total (req/s) | p50 ms |\n|---|---|---|---|---|---|---|\n' +
  rows.join('\n') +
  '\n\n' +
  ratioLines.join('\n') +
  '\n\nLoad average during each round: ' +
  summary.map((s) => `${s.key}: ${s.samples.map((x) => x.load.replace('load average ', '')).join('; ')}`).join(' · ') +
  '\n';
await writeResults(
  'cpu-per-request',
  { bench: 'cpu-per-request', at, machine: machine(), tag: values.tag, rate, durationS, rounds, summary },
  md,
);
process.stdout.write(md);
