// Benchmark: raw ONNX Runtime session throughput of the demo CNN+LSTM (model plane), no HTTP.
// Samples/s at batch 1, 8 and 32 with one intra-op thread; writes bench/results/session-throughput.{json,md}.
// Usage: node dist/bench/session-throughput.js [--duration-ms 3000] [--batches 1,8,32] [--threads 1]
//   [--channels C --hidden H --layers L] (a bigger demo variant; the default is the shipped demo model)
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { buildDemoModel, type DemoShape } from '../src/model/demo.js';
import { seededRandom as mulberry32 } from '../src/common/random.js';

interface BatchResult {
  batch: number;
  calls: number;
  samplesPerSec: number;
  callsPerSec: number;
  callLatencyMs: { p50: number; p99: number; max: number };
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function measure(
  session: ort.InferenceSession,
  shape: DemoShape,
  batch: number,
  durationMs: number,
): Promise<BatchResult> {
  const rand = mulberry32(batch);
  const x = Float32Array.from({ length: batch * shape.window * shape.features }, () => rand() * 2 - 1);
  const feeds = { x: new ort.Tensor('float32', x, [batch, shape.window, shape.features]) };
  for (let i = 0; i < 20; i++) await session.run(feeds); // warm-up: first calls allocate
  const latenciesMs: number[] = [];
  const start = performance.now();
  // Bounded in count as well as time, so a very fast machine cannot spin for long.
  while (performance.now() - start < durationMs && latenciesMs.length < 1_000_000) {
    const t0 = performance.now();
    await session.run(feeds);
    latenciesMs.push(performance.now() - t0);
  }
  const elapsedSec = (performance.now() - start) / 1000;
  latenciesMs.sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    batch,
    calls: latenciesMs.length,
    samplesPerSec: Math.round((latenciesMs.length * batch) / elapsedSec),
    callsPerSec: Math.round(latenciesMs.length / elapsedSec),
    callLatencyMs: {
      p50: round(percentile(latenciesMs, 0.5)),
      p99: round(percentile(latenciesMs, 0.99)),
      max: round(latenciesMs[latenciesMs.length - 1]!),
    },
  };
}

function renderMarkdown(r: {
  date: string;
  machine: string;
  model: string;
  threads: number;
  durationMs: number;
  results: BatchResult[];
}): string {
  const rows = r.results.map(
    (b) =>
      `| ${b.batch} | ${b.samplesPerSec.toLocaleString('en-US')} | ${b.callsPerSec.toLocaleString('en-US')} | ${b.callLatencyMs.p50} | ${b.callLatencyMs.p99} |`,
  );
  return [
    '# Session throughput: demo CNN+LSTM, raw ONNX Runtime session (no HTTP)',
    '',
    `Model: ${r.model}.`,
    '',
    `${r.date}, ${r.machine}, ONNX Runtime CPU, ${r.threads} intra-op thread(s), ${r.durationMs} ms per batch size.`,
    '',
    '| batch | samples/s | calls/s | call p50 ms | call p99 ms |',
    '|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'duration-ms': { type: 'string', default: '3000' },
      batches: { type: 'string', default: '1,8,32' },
      threads: { type: 'string', default: '1' },
      channels: { type: 'string' },
      hidden: { type: 'string' },
      layers: { type: 'string' },
    },
  });
  const durationMs = Number(values['duration-ms']);
  const threads = Number(values.threads);
  const batches = values.batches!.split(',').map(Number);
  if (!(durationMs > 0) || !(threads >= 1) || batches.some((b) => !Number.isInteger(b) || b < 1)) {
    throw new Error('usage: session-throughput [--duration-ms N>0] [--batches 1,8,32] [--threads N>=1]');
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const { onnx, weights } = buildDemoModel({
    channels: num(values.channels),
    hidden: num(values.hidden),
    layers: num(values.layers),
  });
  const shape = weights.shape;
  const session = await ort.InferenceSession.create(onnx, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionProviders: ['cpu'],
  });
  const results: BatchResult[] = [];
  try {
    for (const b of batches) {
      results.push(await measure(session, shape, b, durationMs));
      process.stderr.write(`batch ${b}: ${results[results.length - 1]!.samplesPerSec} samples/s\n`);
    }
  } finally {
    await session.release();
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const report = {
    benchmark: 'session-throughput',
    date: new Date().toISOString(),
    machine: `${cpu} x${os.cpus().length}, node ${process.version}`,
    model: `cnn-lstm x [batch, ${shape.window}, ${shape.features}], conv ${shape.channels} channels, LSTM hidden ${shape.hidden} x ${shape.layers} layer(s)`,
    threads,
    durationMs,
    results,
  };
  const dir = path.join(repoRoot, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'session-throughput.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFile(path.join(dir, 'session-throughput.md'), renderMarkdown(report));
  process.stdout.write(renderMarkdown(report));
}

await main();
