// Shared plumbing of the replica benchmarks (bench, data plane): start a server as a child process
// and read its listening event, drive it with autocannon from this process, sample the child's RSS,
// and write bench/results/<name>.{json,md}.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeDemoModel, type DemoOptions } from '../src/model/demo.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** <outDir> (dist or dist-<area>): this file is <outDir>/bench/replica-harness.js. */
export const outDir = path.resolve(here, '..');
export const repoRoot = path.resolve(outDir, '..');
export const cliEntry = path.join(outDir, 'src', 'cli', 'main.js');

/** A server child process that printed its listening event. */
export interface ServerChild {
  proc: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** Spawns `node args...`, waits for `{"event":"listening"}` (and `ready` when `waitReady`). */
export async function spawnServer(args: string[], waitReady: boolean): Promise<ServerChild> {
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise<never>((_, reject) =>
    proc.once('exit', (code) => reject(new Error(`server exited with ${code} before it was ready: ${args.join(' ')}`))),
  );
  const lines = readline.createInterface({ input: proc.stdout! });
  let url = '';
  const started = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      const ev = JSON.parse(line) as { event: string; url?: string };
      if (ev.event === 'listening') url = ev.url!;
      if (ev.event === (waitReady ? 'ready' : 'listening')) resolve();
    });
  });
  await Promise.race([started, exited]);
  exited.catch(() => undefined);
  return {
    proc,
    url,
    async stop() {
      if (proc.exitCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(t);
    },
  };
}

/** A registry in a temporary folder holding the demo model (or a bigger variant). */
export async function demoRegistry(opts: DemoOptions = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-bench-'));
  await writeDemoModel(dir, opts);
  return dir;
}

/** A single-row Triton binary-extension request for the demo model, outputs in binary. */
export function binaryRequest(window = 60, features = 16): { body: Buffer; headers: Record<string, string> } {
  const x = new Float32Array(window * features).map((_, i) => Math.sin(i * 0.37));
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1, window, features], parameters: { binary_data_size: x.byteLength } },
      ],
      outputs: [{ name: 'probs', parameters: { binary_data: true } }],
    }),
  );
  return {
    body: Buffer.concat([header, Buffer.from(x.buffer)]),
    headers: { 'inference-header-content-length': String(header.length), 'content-type': 'application/octet-stream' },
  };
}

/** What one load run measured. */
export interface LoadResult {
  connections: number;
  durationS: number;
  requestsPerSec: number;
  ok: number;
  non2xx: number;
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Closed-loop load: `connections` keep-alive connections, each sending the next request on answer. */
export async function runLoad(
  url: string,
  req: { body: Buffer; headers: Record<string, string> },
  connections: number,
  durationS: number,
): Promise<LoadResult> {
  const r = await autocannon({
    url,
    method: 'POST',
    body: req.body,
    headers: req.headers,
    connections,
    duration: durationS,
  });
  return {
    connections,
    durationS,
    // Only answered-200 requests count toward the sustained rate.
    requestsPerSec: r['2xx'] / r.duration,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
  };
}

/** Samples a process's resident set size from /proc every `intervalMs`; `stop()` returns the peak in bytes. */
export function sampleRss(pid: number, intervalMs = 100): { stop(): number } {
  let peak = 0;
  const read = () =>
    readFile(`/proc/${pid}/status`, 'utf8').then(
      (s) => {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0);
        peak = Math.max(peak, kb * 1024);
      },
      () => undefined,
    );
  void read();
  const timer = setInterval(() => void read(), intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Machine line for result files. */
export function machine(): string {
  return `${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, node ${process.version}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

/** Writes bench/results/<name>.json and .md. */
export async function writeResults(name: string, json: unknown, markdown: string): Promise<string> {
  const dir = path.join(repoRoot, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${name}.json`), JSON.stringify(json, null, 2) + '\n');
  await writeFile(path.join(dir, `${name}.md`), markdown);
  return dir;
}

/** "12,345". */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
