// Benchmark (a): a replica's sustained request rate with dynamic batching on vs off, at the same
// concurrency, in one run (data plane). Single-row binary requests from autocannon in this process;
// each replica runs as its own child process. Writes bench/results/replica-batching[-main-thread].{json,md}.
// Usage: node dist/bench/replica-batching.js [--connections 64] [--duration-s 5] [--max-batch-size 32]
//   [--batch-wait 2ms] [--main-thread] [--channels C --hidden H --layers L] (a bigger demo variant)
import { parseDurationMs } from '../src/common/units.js';
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  binaryRequest,
  cliEntry,
  demoRegistry,
  fmt,
  machine,
  runLoad,
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
    channels: { type: 'string' },
    hidden: { type: 'string' },
    layers: { type: 'string' },
    'main-thread': { type: 'boolean', default: false },
  },
});
const connections = Number(values.connections);
const durationS = Number(values['duration-s']);
const variant = {
  ...(values.channels ? { channels: Number(values.channels) } : {}),
  ...(values.hidden ? { hidden: Number(values.hidden) } : {}),
  ...(values.layers ? { layers: Number(values.layers) } : {}),
};

async function measure(registry: string, batching: boolean): Promise<LoadResult> {
  const args = [
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
    ...(batching ? [] : ['--no-batching']),
    ...(values['main-thread'] ? ['--no-session-worker'] : []),
  ];
  const server = await spawnServer(args, true);
  try {
    const req = binaryRequest();
    await runLoad(server.url + '/v2/models/cnn-lstm/infer', req, connections, 1); // warm-up
    return await runLoad(server.url + '/v2/models/cnn-lstm/infer', req, connections, durationS);
  } finally {
    await server.stop();
  }
}

const registry = await demoRegistry(variant);
try {
  const on = await measure(registry, true);
  const off = await measure(registry, false);
  const ratio = on.requestsPerSec / off.requestsPerSec;
  const report = {
    bench: 'replica-batching',
    at: new Date().toISOString(),
    machine: machine(),
    model: { name: 'cnn-lstm', ...variant },
    maxBatchSize: Number(values['max-batch-size']),
    batchWait: values['batch-wait'],
    sessionWorker: !values['main-thread'],
    connections,
    durationS,
    batchingOn: on,
    batchingOff: off,
    ratio,
    target: 2,
    met: ratio >= 2,
  };
  const row = (name: string, r: LoadResult) =>
    `| ${name} | ${fmt(r.requestsPerSec)} | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${r.non2xx} | ${r.errors} |`;
  const md =
    `# Replica: batching on vs off\n\n${report.at}, ${report.machine}\n\n` +
    `Model cnn-lstm ${Object.keys(variant).length ? JSON.stringify(variant) : '(shipped demo)'}; single-row binary requests; ${connections} connections, closed loop, ${durationS} s each; ` +
    `--max-batch-size ${report.maxBatchSize} --batch-wait ${report.batchWait}${report.sessionWorker ? '' : ' --no-session-worker'}.\n\n` +
    `| replica | req/s (200s) | p50 ms | p99 ms | non-2xx | errors |\n|---|---:|---:|---:|---:|---:|\n${row('batching on', on)}\n${row('batching off', off)}\n\n` +
    `Ratio on/off: **${ratio.toFixed(2)}x** (target >= 2x: ${report.met ? 'met' : 'NOT met'}).\n`;
  await writeResults(values['main-thread'] ? 'replica-batching-main-thread' : 'replica-batching', report, md);
  process.stdout.write(md);
} finally {
  await rm(registry, { recursive: true, force: true });
}
