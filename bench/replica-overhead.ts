// Benchmarks (b) and (c): single-row binary-extension requests against one replica vs a bare
// node:http server that answers the same request without a model, at the same concurrency in one
// run; and the replica's peak RSS under that load (data plane). Load from autocannon in this
// process, each server in its own child. Writes bench/results/replica-overhead[-main-thread].{json,md}.
// Usage: node dist/bench/replica-overhead.js [--connections 64] [--duration-s 5] [--max-batch-size 32] [--batch-wait 2ms] [--main-thread]
import { parseDurationMs } from '../src/common/units.js';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveModel } from '../src/model/registry.js';
import { openSession } from '../src/replica/session.js';
import {
  binaryRequest,
  cliEntry,
  demoRegistry,
  fmt,
  machine,
  outDir,
  runLoad,
  sampleRss,
  spawnServer,
  writeResults,
  type LoadResult,
} from './replica-harness.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '64' },
    'duration-s': { type: 'string', default: '5' },
    'max-batch-size': { type: 'string', default: '32' },
    'batch-wait': { type: 'string', default: '2ms' },
    'main-thread': { type: 'boolean', default: false },
  },
});
const connections = Number(values.connections);
const durationS = Number(values['duration-s']);
const req = binaryRequest();

async function measure(
  args: string[],
  waitReady: boolean,
  path_: string,
): Promise<{ load: LoadResult; peakRssBytes: number }> {
  const server = await spawnServer(args, waitReady);
  try {
    await runLoad(server.url + path_, req, connections, 1); // warm-up
    const rss = sampleRss(server.proc.pid!);
    const load = await runLoad(server.url + path_, req, connections, durationS);
    return { load, peakRssBytes: rss.stop() };
  } finally {
    await server.stop();
  }
}

/** Rows/s the session alone sustains at full batches on one thread: the ceiling for any server of this model. */
async function sessionBound(registry: string, rows: number, durationMs = 2000): Promise<number> {
  const model = await resolveModel(registry, 'cnn-lstm');
  const session = await openSession(model.onnxPath, { device: 'cpu', intraOpThreads: 1 });
  const feeds = {
    x: { type: 'float32', data: new Float32Array(rows * 960).map((_, i) => Math.sin(i)), dims: [rows, 60, 16] },
  };
  for (let i = 0; i < 5; i++) await session.run(feeds);
  let done = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < durationMs) {
    await session.run(feeds);
    done += rows;
  }
  const perSec = done / ((performance.now() - t0) / 1000);
  await session.release();
  return perSec;
}

const registry = await demoRegistry();
try {
  const modelRowsPerSec = await sessionBound(registry, Number(values['max-batch-size']));
  const replica = await measure(
    [
      cliEntry,
      'replica',
      '--model',
      'cnn-lstm',
      '--registry',
      registry,
      '--port',
      '0',
      '--max-batch-size',
      values['max-batch-size']!,
      '--batch-wait-ms',
      String(parseDurationMs(values['batch-wait']!)),
      '--max-queued-requests',
      String(connections * 4),
      '--exit-with-parent',
      ...(values['main-thread'] ? ['--no-session-worker'] : []),
    ],
    true,
    '/v2/models/cnn-lstm/infer',
  );
  const bare = await measure(
    [path.join(outDir, 'bench', 'replica-bare-server.js')],
    false,
    '/v2/models/cnn-lstm/infer',
  );
  const ratio = replica.load.requestsPerSec / bare.load.requestsPerSec;
  const rssMiB = replica.peakRssBytes / 1024 / 1024;
  const report = {
    bench: 'replica-overhead',
    at: new Date().toISOString(),
    machine: machine(),
    connections,
    durationS,
    maxBatchSize: Number(values['max-batch-size']),
    batchWait: values['batch-wait'],
    sessionWorker: !values['main-thread'],
    replica: replica.load,
    bare: bare.load,
    modelOnlyRowsPerSec: modelRowsPerSec,
    modelOnlyRatio: modelRowsPerSec / bare.load.requestsPerSec,
    ratio,
    ratioTarget: 0.6,
    ratioMet: ratio >= 0.6,
    replicaPeakRssBytes: replica.peakRssBytes,
    rssTargetBytes: 200 * 1024 * 1024,
    rssMet: replica.peakRssBytes < 200 * 1024 * 1024,
  };
  const row = (name: string, r: LoadResult) =>
    `| ${name} | ${fmt(r.requestsPerSec)} | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${r.non2xx} | ${r.errors} |`;
  const md =
    `# Replica vs bare node:http, single-row binary requests\n\n${report.at}, ${report.machine}\n\n` +
    `Demo cnn-lstm; ${connections} connections, closed loop, ${durationS} s each; replica --max-batch-size ${report.maxBatchSize} --batch-wait ${report.batchWait}${report.sessionWorker ? '' : ' --no-session-worker'}.\n\n` +
    `| server | req/s (200s) | p50 ms | p99 ms | non-2xx | errors |\n|---|---:|---:|---:|---:|---:|\n${row('replica', replica.load)}\n${row('bare node:http (no model)', bare.load)}\n\n` +
    `Replica / bare: **${(ratio * 100).toFixed(0)}%** (target >= 60%: ${report.ratioMet ? 'met' : 'NOT met'}).\n\n` +
    `For scale: the ONNX Runtime session alone, no HTTP, one thread, batches of ${report.maxBatchSize}, sustains ${fmt(modelRowsPerSec)} rows/s ` +
    `= ${((modelRowsPerSec / bare.load.requestsPerSec) * 100).toFixed(0)}% of the bare server's rate: no single-threaded replica of this model can exceed that ratio here; ` +
    `the replica reached ${((replica.load.requestsPerSec / modelRowsPerSec) * 100).toFixed(0)}% of the session-only rate.\n\n` +
    `Replica peak RSS under this load: **${rssMiB.toFixed(1)} MiB** (target < 200 MB: ${report.rssMet ? 'met' : 'NOT met'}).\n`;
  await writeResults(values['main-thread'] ? 'replica-overhead-main-thread' : 'replica-overhead', report, md);
  process.stdout.write(md);
} finally {
  await rm(registry, { recursive: true, force: true });
}
