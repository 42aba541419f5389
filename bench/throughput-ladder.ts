// Benchmark (issue 12 throughput): the highest open-loop rate `serve up --profile local` carries with
// p99 under 100 ms and no errors, demo model, single-row requests, measured by a separate `serve
// bench` process on the same cores: a ladder of 6 s steps after 2 s of warmup, a rate passing if
// one of two tries does, for JSON and --binary. With several builds (`--builds a=path,b=path`, each
// a dist/src/cli/main.js), their ladders alternate in one run so the ratios share the machine's mood.
// Writes bench/results/throughput-ladder.{json,md}.
// Usage: node dist/bench/throughput-ladder.js [--builds new=dist/src/cli/main.js,old=/tmp/base/dist/src/cli/main.js]
//          [--json-rates 2000,2500,...] [--binary-rates 3000,3500,...] [--modes json,binary] [--tag NAME]
import { parseArgs } from 'node:util';
import { ladder, loadNote, startLocal, type Rung } from './cluster-harness.js';
import { cliEntry, machine, writeResults } from './replica-harness.js';

const { values } = parseArgs({
  options: {
    builds: { type: 'string', default: `new=${cliEntry}` },
    'json-rates': { type: 'string', default: '2000,2500,3000,3500,4000,4500,5000,5500,6000,6500,7000' },
    'binary-rates': { type: 'string', default: '3000,3500,4000,4500,5000,5500,6000,6500,7000,7500,8000,9000' },
    modes: { type: 'string', default: 'json,binary' },
    tag: { type: 'string' },
  },
});
const builds = values.builds!.split(',').map((b) => {
  const i = b.indexOf('=');
  return { label: b.slice(0, i), cli: b.slice(i + 1) };
});
const modes = values.modes!.split(',') as Array<'json' | 'binary'>;
const ratesOf = (mode: 'json' | 'binary') =>
  values[mode === 'json' ? 'json-rates' : 'binary-rates']!.split(',').map(Number);

interface Result {
  build: string;
  mode: 'json' | 'binary';
  bestPerSec: number;
  rungs: Rung[];
  loadBefore: string;
  loadAfter: string;
}

const results: Result[] = [];
for (const mode of modes) {
  for (const b of builds) {
    process.stderr.write(`${b.label} ${mode} (${loadNote()})\n`);
    const cluster = await startLocal((p) => p, b.cli);
    try {
      const loadBefore = loadNote();
      const { best, rungs } = await ladder(
        cluster.url,
        ratesOf(mode),
        mode === 'binary' ? ['--binary'] : [],
        undefined,
        b.cli,
      );
      results.push({ build: b.label, mode, bestPerSec: best, rungs, loadBefore, loadAfter: loadNote() });
      process.stderr.write(`${b.label} ${mode}: ${best}/s\n`);
    } finally {
      await cluster.stop();
    }
  }
}

const at = new Date().toISOString();
const rows = results.map(
  (r) =>
    `| ${r.build} | ${r.mode} | **${r.bestPerSec.toLocaleString('en-US')}** | ${r.rungs.map((g) => `${g.ratePerSec}${g.passed ? '✓' : '✗'} (${g.tries.map((t) => `${t.p99Ms.toFixed(0)} ms${t.errorRate > 0 ? `, ${(t.errorRate * 100).toFixed(1)}% err` : ''}`).join(' / ')})`).join(', ')} | ${r.loadBefore} → ${r.loadAfter} |`,
);
const ratios =
  builds.length > 1
    ? modes
        .map((m) => {
          const [a, b] = [
            results.find((r) => r.mode === m && r.build === builds[0]!.label)!,
            results.find((r) => r.mode === m && r.build === builds[1]!.label)!,
          ];
          return b.bestPerSec === 0
            ? `- ${m}: ${builds[1]!.label} passed no rung, no ratio`
            : `- ${m}: ${builds[0]!.label} / ${builds[1]!.label} = ${(a.bestPerSec / b.bestPerSec).toFixed(2)}x`;
        })
        .join('\n') + '\n'
    : '';
const md =
  `# Throughput ladder: serve up --profile local, demo model, single-row requests\n\n${at}, ${machine()}${values.tag ? `, ${values.tag}` : ''}\n\n` +
  'Each rate: a separate `serve bench` process, 6 s after 2 s of warmup, `--p99 100ms --error-rate 0%`, 512 connections; a rate passes if one of two tries does; ' +
  "the ladder stops at the first rate that fails both. Everything (generator, gateway, 2 replicas) shares this machine's cores.\n\n" +
  '| build | payload | highest passing rate (req/s) | rungs (p99 of each try) | load average (1/5/15 min) before → after |\n|---|---|---|---|---|\n' +
  rows.join('\n') +
  '\n\n' +
  ratios;
await writeResults(
  'throughput-ladder',
  { bench: 'throughput-ladder', at, machine: machine(), tag: values.tag, builds, results },
  md,
);
process.stdout.write(md);
