// Benchmark (issue 12 response cache): what a cache hit and a cache miss cost against the same
// cluster with the cache off. `serve up --profile local` (cache off, then on) driven at a fixed
// open-loop rate by a separate `serve bench` replaying request files: all different (every request
// a miss) or a few repeated (hits after the first pass). Cost = the gateway's own time per request
// (its request-duration histogram: arrival to the end of the answer) and the CPU the gateway and
// replicas spend per request; the client's p50 is shown too. Rounds alternate; medians are compared.
// Writes bench/results/cache-cost.{json,md}.
// Usage: node dist/bench/cache-cost.js [--rate 300] [--duration-s 8] [--rounds 3] [--tag NAME]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cpuDuring, loadNote, serveBench, startLocal } from './cluster-harness.js';
import { machine, writeResults } from './replica-harness.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '300' },
    'duration-s': { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    tag: { type: 'string' },
  },
});
const rate = Number(values.rate);
const durationS = Number(values['duration-s']);
const rounds = Number(values.rounds);

/** One demo-model request (60 x 16 features) from `seed`, as one JSON line. */
const line = (seed: number) =>
  JSON.stringify({
    inputs: [
      {
        name: 'x',
        shape: [1, 60, 16],
        datatype: 'FP32',
        data: Array.from({ length: 960 }, (_, i) => Number(Math.sin(seed * 7.1 + i * 0.37).toFixed(5))),
      },
    ],
  });
const tmp = await mkdtemp(path.join(os.tmpdir(), 'serve-cache-bench-'));
const distinct = path.join(tmp, 'distinct.jsonl');
const repeated = path.join(tmp, 'repeated.jsonl');
const needed = Math.ceil(rate * (durationS + 3) * 1.2);

/** Mean gateway time per request (ms) from two /metrics scrapes. */
async function gatewayMeanMs(url: string, fn: () => Promise<void>): Promise<number> {
  const read = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return {
      sum: Number(/^serve_gateway_request_duration_seconds_sum (\S+)$/m.exec(text)![1]),
      count: Number(/^serve_gateway_request_duration_seconds_count (\S+)$/m.exec(text)![1]),
    };
  };
  const a = await read();
  await fn();
  const b = await read();
  return ((b.sum - a.sum) / (b.count - a.count)) * 1000;
}

interface Sample {
  gatewayMs: number;
  cpuUs: number;
  p50Ms: number;
  load: string;
}
const samples: Record<'off' | 'miss' | 'hit', Sample[]> = { off: [], miss: [], hit: [] };

async function measure(kind: 'off' | 'miss' | 'hit', round: number): Promise<void> {
  // Distinct bodies per round, so the miss runs never repeat one another's requests.
  await writeFile(
    distinct,
    Array.from({ length: needed }, (_, i) => line(1e6 * (round + 1) + i + (kind === 'off' ? 5e5 : 0))).join('\n') +
      '\n',
  );
  const cluster = await startLocal((p) => ({ ...p, cache: { ...p.cache, enabled: kind !== 'off' } }));
  try {
    const file = kind === 'hit' ? repeated : distinct;
    // Warm up (JIT, pools); for hits this also fills the cache with the repeated bodies.
    await serveBench(cluster.url, [
      '--rps',
      String(rate),
      '--duration',
      '2s',
      '--requests',
      kind === 'hit' ? repeated : distinct,
    ]);
    if (kind !== 'hit')
      await writeFile(
        distinct,
        Array.from({ length: needed }, (_, i) => line(1e6 * (round + 11) + i + (kind === 'off' ? 5e5 : 0))).join('\n') +
          '\n',
      );
    let run: Awaited<ReturnType<typeof serveBench>> | undefined;
    const gatewayMs = await gatewayMeanMs(cluster.url, async () => {
      const { result, cpuS } = await cpuDuring(cluster.pids, () =>
        serveBench(cluster.url, ['--rps', String(rate), '--duration', `${durationS}s`, '--requests', file]),
      );
      run = result;
      const n = result.result.requests.ok;
      const s: Sample = {
        gatewayMs: 0,
        cpuUs: (Object.values(cpuS).reduce((x, y) => x + y, 0) * 1e6) / n,
        p50Ms: result.result.latency.p50Ms,
        load: loadNote(),
      };
      samples[kind].push(s);
    });
    samples[kind].at(-1)!.gatewayMs = gatewayMs;
    const s = samples[kind].at(-1)!;
    process.stderr.write(
      `round ${round + 1} ${kind}: gateway ${gatewayMs.toFixed(3)} ms/request, cluster CPU ${s.cpuUs.toFixed(0)} us/request, p50 ${s.p50Ms.toFixed(2)} ms, errors ${run!.result.requests.errors} (${s.load})\n`,
    );
  } finally {
    await cluster.stop();
  }
}

try {
  await writeFile(repeated, Array.from({ length: 32 }, (_, i) => line(i)).join('\n') + '\n');
  for (let round = 0; round < rounds; round++)
    for (const kind of ['off', 'miss', 'hit'] as const) await measure(kind, round);
} finally {
  await rm(tmp, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const med = (k: 'off' | 'miss' | 'hit') => ({
  gatewayMs: median(samples[k].map((s) => s.gatewayMs)),
  cpuUs: median(samples[k].map((s) => s.cpuUs)),
  p50Ms: median(samples[k].map((s) => s.p50Ms)),
});
const [off, miss, hit] = [med('off'), med('miss'), med('hit')];
const at = new Date().toISOString();
const r = (a: number, b: number) => (a / b).toFixed(3);
const md =
  `# Response cache: cost of a hit and a miss\n\n${at}, ${machine()}${values.tag ? `, ${values.tag}` : ''}\n\n` +
  `serve up --profile local (2 replicas + gateway), open loop at ${rate} req/s for ${durationS} s after a 2 s warm-up run, single-row JSON demo requests from a separate \`serve bench\` (--requests): ` +
  'all different (cache off; cache on, every request a miss) or 32 repeated bodies (cache on, every request a hit after the warm-up). Medians of ' +
  `${rounds} rounds, the three kinds alternating.\n\n` +
  '| | gateway time per request (ms) | gateway + replicas CPU per request (µs) | client p50 (ms) |\n|---|---|---|---|\n' +
  `| cache off | ${off.gatewayMs.toFixed(3)} | ${off.cpuUs.toFixed(0)} | ${off.p50Ms.toFixed(2)} |\n| miss | ${miss.gatewayMs.toFixed(3)} | ${miss.cpuUs.toFixed(0)} | ${miss.p50Ms.toFixed(2)} |\n| hit | ${hit.gatewayMs.toFixed(3)} | ${hit.cpuUs.toFixed(0)} | ${hit.p50Ms.toFixed(2)} |\n\n` +
  `- hit / miss: gateway time ${r(hit.gatewayMs, miss.gatewayMs)}x (target < 0.1: ${hit.gatewayMs < 0.1 * miss.gatewayMs ? 'met' : 'NOT met'}), CPU ${r(hit.cpuUs, miss.cpuUs)}x, client p50 ${r(hit.p50Ms, miss.p50Ms)}x\n` +
  `- miss / off: gateway time ${r(miss.gatewayMs, off.gatewayMs)}x (target <= 1.05: ${miss.gatewayMs <= 1.05 * off.gatewayMs ? 'met' : 'NOT met'}), CPU ${r(miss.cpuUs, off.cpuUs)}x, client p50 ${r(miss.p50Ms, off.p50Ms)}x\n\n` +
  'Load average per round: ' +
  (['off', 'miss', 'hit'] as const)
    .map((k) => `${k}: ${samples[k].map((s) => s.load.replace('load average ', '')).join('; ')}`)
    .join(' · ') +
  '\n';
await writeResults(
  'cache-cost',
  {
    bench: 'cache-cost',
    at,
    machine: machine(),
    tag: values.tag,
    rate,
    durationS,
    rounds,
    samples,
    medians: { off, miss, hit },
  },
  md,
);
process.stdout.write(md);
