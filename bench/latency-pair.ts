// Benchmark (issue 27, "latency at 200 req/s does not get worse"): `serve up --profile local` of two
// builds, each driven by its own `serve bench` at a low open-loop rate, JSON or binary single-row
// demo requests, rounds alternating A B A B so both share the machine's mood. Each round starts a
// fresh cluster, warms it for 2 s, then measures. Reports p50 / p99 per round and the median of each
// build's rounds. Writes bench/results/latency-pair.{json,md}.
// Usage: node dist/bench/latency-pair.js --builds new=dist/src/cli/main.js,old=/tmp/base/dist/src/cli/main.js
//          [--rate 200] [--duration-s 20] [--rounds 3] [--binary] [--tag NAME]
import { parseArgs } from 'node:util';
import { loadNote, serveBench, startLocal } from './cluster-harness.js';
import { cliEntry, machine, writeResults } from './replica-harness.js';

const { values } = parseArgs({
  options: {
    builds: { type: 'string', default: `new=${cliEntry}` },
    rate: { type: 'string', default: '200' },
    'duration-s': { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    binary: { type: 'boolean', default: false },
    tag: { type: 'string' },
  },
});
const builds = values.builds!.split(',').map((b) => {
  const i = b.indexOf('=');
  return { label: b.slice(0, i), cli: b.slice(i + 1) };
});
const payload = values.binary ? ['--binary'] : [];
const args = ['--rps', values.rate!, '--duration', `${values['duration-s']}s`, ...payload];

interface Round {
  build: string;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  load: string;
}
const rounds: Round[] = [];
for (let i = 0; i < Number(values.rounds); i++) {
  for (const b of i % 2 === 0 ? builds : [...builds].reverse()) {
    const cluster = await startLocal((p) => p, b.cli);
    try {
      await serveBench(cluster.url, ['--rps', values.rate!, '--duration', '2s', ...payload], b.cli);
      const run = await serveBench(cluster.url, args, b.cli);
      const r = run.result;
      const round = {
        build: b.label,
        p50Ms: r.latency.p50Ms,
        p99Ms: r.latency.p99Ms,
        errors: r.requests.errors,
        load: loadNote(),
      };
      rounds.push(round);
      process.stderr.write(
        `round ${i + 1} ${b.label}: p50 ${round.p50Ms.toFixed(2)} ms, p99 ${round.p99Ms.toFixed(2)} ms, errors ${round.errors} (${round.load})\n`,
      );
    } finally {
      await cluster.stop();
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const at = new Date().toISOString();
const summary = builds.map((b) => {
  const mine = rounds.filter((r) => r.build === b.label);
  return { build: b.label, p50Ms: median(mine.map((r) => r.p50Ms)), p99Ms: median(mine.map((r) => r.p99Ms)) };
});
const md =
  `# Latency at ${values.rate} req/s, ${values.binary ? 'binary' : 'JSON'}: builds paired\n\n${at}, ${machine()}${values.tag ? `, ${values.tag}` : ''}\n\n` +
  `\`serve up --profile local\` of each build, a fresh cluster a round, 2 s warmup, then ${values['duration-s']} s open loop ` +
  `from that build's \`serve bench\`; rounds alternate (A B, B A, ...).\n\n| round | build | p50 ms | p99 ms | errors | load |\n|---|---|---|---|---|---|\n` +
  rounds
    .map(
      (r, i) =>
        `| ${Math.floor(i / builds.length) + 1} | ${r.build} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.errors} | ${r.load} |`,
    )
    .join('\n') +
  '\n\nMedians: ' +
  summary.map((s) => `${s.build} p50 ${s.p50Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms`).join('; ') +
  '\n';
await writeResults(
  'latency-pair',
  { bench: 'latency-pair', at, machine: machine(), tag: values.tag, args, rounds, summary },
  md,
);
process.stdout.write(md);
