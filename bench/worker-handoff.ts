// Benchmark (issue 27): what handing a batch to the session worker costs, by the shared-memory ring
// and by message, in one process (no HTTP). Sequential runs of the demo model as the batcher makes
// them (rows copied into the batch buffers, then run), alternating ring / message / in-thread in
// rounds; CPU per run of the main thread and of the busiest other thread (the worker) from
// /proc/self/task (Linux only, 10 ms ticks). Writes bench/results/worker-handoff.{json,md}.
// Usage: node dist/bench/worker-handoff.js [--batches 1,2,4,8] [--runs 3000] [--rounds 3]
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolveModel } from '../src/model/registry.js';
import { openSession, type FeedTensor, type ModelSession } from '../src/replica/session.js';
import { openWorkerSession } from '../src/replica/worker-session.js';
import { demoRegistry, machine, writeResults } from './replica-harness.js';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '1,2,4,8' },
    runs: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
  },
});
const batches = values.batches!.split(',').map(Number);
const runs = Number(values.runs);
const rounds = Number(values.rounds);
const ROW = 60 * 16;
const MAX_ROWS = 32;

/** CPU µs of every thread of this process, by thread id. */
function threadCpuUs(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) * 10_000);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return out;
}

interface Sample {
  wallUs: number;
  mainUs: number;
  workerUs: number;
}

/** `runs` sequential batches of `rows` on `session`, the rows copied first as the batcher copies them. */
async function measure(session: ModelSession, rows: number): Promise<Sample> {
  const src = Float32Array.from({ length: rows * ROW }, (_, i) => Math.sin(i));
  let own: Float32Array = new Float32Array(MAX_ROWS * ROW);
  const one = async () => {
    const shared = session.feedBuffers?.(MAX_ROWS)?.x as Float32Array | undefined;
    const buf = shared ?? own;
    buf.set(src);
    const feeds: Record<string, FeedTensor> = {
      x: { type: 'float32', data: buf.subarray(0, rows * ROW), dims: [rows, 60, 16], lend: !shared },
    };
    const out = await session.run(feeds);
    if (!shared) own = new Float32Array(feeds.x!.data.buffer, 0, MAX_ROWS * ROW);
    return out.probs!.data[0];
  };
  for (let i = 0; i < 50; i++) await one();
  const before = threadCpuUs();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await one();
  const wallUs = ((performance.now() - t0) * 1000) / runs;
  const used = [...threadCpuUs()].map(([tid, us]) => [tid, (us - (before.get(tid) ?? 0)) / runs] as const);
  const mainUs = used.find(([tid]) => tid === String(process.pid))?.[1] ?? 0;
  const workerUs = Math.max(0, ...used.filter(([tid]) => tid !== String(process.pid)).map(([, us]) => us));
  return { wallUs, mainUs, workerUs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const registry = await demoRegistry();
const { onnxPath } = await resolveModel(registry, 'cnn-lstm');
const options = { device: 'cpu', intraOpThreads: 1 } as const;
const ways = {
  ring: await openWorkerSession(onnxPath, options),
  message: await openWorkerSession(onnxPath, options, undefined, { ring: false }),
  'in-thread': await openSession(onnxPath, options),
};
const samples = new Map<string, Sample[]>();
for (let r = 0; r < rounds; r++) {
  for (const rows of batches) {
    for (const [way, session] of Object.entries(ways)) {
      const key = `${rows}|${way}`;
      samples.set(key, [...(samples.get(key) ?? []), await measure(session, rows)]);
    }
  }
  process.stderr.write(`round ${r + 1} of ${rounds}\n`);
}
await Promise.all(Object.values(ways).map((s) => s.release()));

const results = [...samples].map(([key, ss]) => {
  const [rows, way] = key.split('|');
  const med = (f: (s: Sample) => number) => Math.round(median(ss.map(f)) * 10) / 10;
  return {
    batch: Number(rows),
    way,
    wallUs: med((s) => s.wallUs),
    mainUs: med((s) => s.mainUs),
    workerUs: med((s) => s.workerUs),
  };
});
const report = { benchmark: 'worker-handoff', at: new Date().toISOString(), machine: machine(), runs, rounds, results };
const md = [
  '# Handing batches to the session worker: shared-memory ring vs message (demo model, no HTTP)',
  '',
  `${report.at}, ${report.machine}. ${runs} sequential runs per batch size and way, medians of ${rounds} rounds;`,
  'CPU per run from /proc/self/task (main thread; worker = the busiest other thread; in-thread runs the model on main).',
  '',
  '| batch | way | wall µs/run | main CPU µs/run | worker CPU µs/run |',
  '|---:|---|---:|---:|---:|',
  ...results.map((r) => `| ${r.batch} | ${r.way} | ${r.wallUs} | ${r.mainUs} | ${r.workerUs} |`),
  '',
].join('\n');
await writeResults('worker-handoff', report, md);
process.stdout.write(md);
