// Benchmark (bench): memory of a long open-loop run at 1,000 req/s. HDR histograms are fixed-size,
// so RSS must stay flat; the recorded run is 10 minutes. Writes bench/results/loadgen-memory.{json,md}.
// Usage: node dist/bench/loadgen-memory.js [--duration 10m] [--rps 1000]
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBytes, parseDurationMs } from '../src/common/units.js';
import { runBench } from '../src/loadtest/run.js';
import { startTrivialServer } from './loadgen-server.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const durationMs = parseDurationMs(arg('--duration', '10m'), 's');
const ratePerSec = Number(arg('--rps', '1000'));
const resultsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');

// Forcing a GC before each sample measures what is retained, not how lazily V8 collects: re-run
// this script with --expose-gc when it was started without it.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

const server = await startTrivialServer();
const samples: Array<{ elapsedMs: number; rssBytes: number; heapTotalBytes: number; heapUsedBytes: number }> = [];
try {
  const result = await runBench(
    {
      url: server.url,
      model: 'echo',
      mode: 'open',
      ratePerSec,
      arrival: 'constant',
      concurrency: 1,
      durationMs,
      warmupMs: 0,
      connections: 64,
      timeoutMs: 10_000,
      lateThresholdMs: 2,
      binary: false,
      checkShape: false,
      seed: 1,
    },
    {
      onProgress: (p) => {
        gc!();
        const m = process.memoryUsage();
        samples.push({
          elapsedMs: p.elapsedMs,
          rssBytes: m.rss,
          heapTotalBytes: m.heapTotal,
          heapUsedBytes: m.heapUsed,
        });
      },
    },
  );
  // Growth is measured after the first tenth (JIT, sockets and buffers settle by then).
  const settled = samples[Math.min(samples.length - 1, Math.max(1, Math.floor(samples.length / 10)))]!;
  const last = samples.at(-1)!;
  // Steady state: the second half, after allocator and JIT have reached their working sizes.
  const middle = samples[Math.floor(samples.length / 2)]!;
  const peakRss = Math.max(...samples.map((s) => s.rssBytes));
  const summary = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, loadavg1m: os.loadavg()[0] },
    durationMs,
    ratePerSec,
    requests: result.requests,
    achievedPerSec: result.rate.achievedPerSec,
    rssSettledBytes: settled.rssBytes,
    rssEndBytes: last.rssBytes,
    rssPeakBytes: peakRss,
    rssGrowthBytes: last.rssBytes - settled.rssBytes,
    rssGrowthSecondHalfBytes: last.rssBytes - middle.rssBytes,
    heapUsedSettledBytes: settled.heapUsedBytes,
    heapUsedEndBytes: last.heapUsedBytes,
    gcBeforeEachSample: true,
    samples: samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 60)) === 0),
  };
  const md = [
    '# Load generator memory',
    '',
    `${summary.date}, ${summary.machine.cpus} CPUs, Node ${summary.machine.node}, load average ${summary.machine.loadavg1m.toFixed(1)}.`,
    `Open loop at ${ratePerSec} req/s for ${durationMs / 1000}s against a trivial server in a child process: ${result.requests.ok} ok, achieved ${result.rate.achievedPerSec.toFixed(0)} req/s.`,
    '',
    'Memory sampled once a second after a forced GC (node --expose-gc).',
    '',
    '| RSS after first tenth | RSS at end | growth | growth over the second half | peak | heap used after first tenth | heap used at end |',
    '|---|---|---|---|---|---|---|',
    `| ${formatBytes(settled.rssBytes)} | ${formatBytes(last.rssBytes)} | ${formatBytes(Math.max(0, summary.rssGrowthBytes))}${summary.rssGrowthBytes < 0 ? ' (shrank)' : ''} | ${formatBytes(Math.max(0, summary.rssGrowthSecondHalfBytes))} | ${formatBytes(peakRss)} | ${formatBytes(settled.heapUsedBytes)} | ${formatBytes(last.heapUsedBytes)} |`,
    '',
    `V8 heap reserved (heapTotal): ${formatBytes(settled.heapTotalBytes)} after the first tenth, ${formatBytes(last.heapTotalBytes)} at the end.`,
    'A one-time RSS step while heap used stays flat is V8 enlarging its young generation (heapTotal), a bounded',
    'resize, not retained data; the second-half growth is the figure to watch for a leak.',
    '',
  ].join('\n');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(path.join(resultsDir, 'loadgen-memory.json'), JSON.stringify(summary, null, 2) + '\n');
  await writeFile(path.join(resultsDir, 'loadgen-memory.md'), md);
  process.stdout.write(md);
} finally {
  await server.stop();
}
