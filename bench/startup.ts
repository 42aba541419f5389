// Benchmark: time from `serve up --profile local` to ready (control plane). Each run starts the CLI
// as a user would (shipped local profile, demo model in a temp registry, a free port), times spawn
// -> the ready status on stdout -> the gateway answering /v2/health/ready 200, then stops it with
// SIGTERM (timed too). Target: under 3 s to ready. Writes bench/results/startup.{json,md}.
// Usage: node dist/bench/startup.js [--runs 5]
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(here, '..');
const repoRoot = path.resolve(outDir, '..');
const cli = path.join(outDir, 'src', 'cli', 'main.js');
const TARGET_MS = 3000;

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });

interface Run {
  /** spawn -> `serve up` printed the ready status (every replica ready, gateway listening). */
  readyMs: number;
  /** spawn -> the gateway answered GET /v2/health/ready with 200. */
  gatewayReadyMs: number;
  /** SIGTERM -> the controller exited (gateway and replicas drained and stopped). */
  stopMs: number;
  replicas: number;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/v2/health/ready`, { signal: AbortSignal.timeout(1000) });
    return r.status === 200;
  } catch {
    return false;
  }
}

async function oneRun(root: string, registry: string, i: number): Promise<Run> {
  const stateDir = path.join(root, `state-${i}`);
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'up', '--profile', 'local', '--state-dir', stateDir, '--json'], {
    cwd: root,
    env: { ...process.env, SERVE_MODELS: registry, SERVE_PORT: '0', CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const status = await new Promise<{ gatewayUrl: string; replicas: Array<{ state: string }> }>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      try {
        resolve(JSON.parse(out));
      } catch {
        // Not the whole JSON yet.
      }
    });
    child.once('exit', (code) => reject(new Error(`serve up exited with ${code}: ${err.trim()}`)));
  });
  const readyMs = performance.now() - t0;
  while (!(await healthy(status.gatewayUrl))) await new Promise((r) => setTimeout(r, 5));
  const gatewayReadyMs = performance.now() - t0;
  const t1 = performance.now();
  child.kill('SIGTERM');
  await once(child, 'exit');
  return {
    readyMs,
    gatewayReadyMs,
    stopMs: performance.now() - t1,
    replicas: status.replicas.filter((r) => r.state === 'ready').length,
  };
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s.at(-1)! };
}

async function main(): Promise<void> {
  const runs = Number(args.runs);
  const root = mkdtempSync(path.join(os.tmpdir(), 'serve-bench-startup-'));
  try {
    const registry = path.join(root, 'models');
    execFileSync(process.execPath, [cli, 'model', 'demo', '--registry', registry], { stdio: 'ignore' });
    const results: Run[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await oneRun(root, registry, i);
      results.push(r);
      process.stderr.write(
        `run ${i + 1}/${runs}: ready ${r.readyMs.toFixed(0)} ms, gateway ready ${r.gatewayReadyMs.toFixed(0)} ms, stop ${r.stopMs.toFixed(0)} ms\n`,
      );
    }
    const ready = stats(results.map((r) => r.readyMs));
    const stop = stats(results.map((r) => r.stopMs));
    const summary = {
      benchmark: 'startup',
      date: new Date().toISOString(),
      machine: {
        cpus: os.availableParallelism(),
        memoryBytes: os.totalmem(),
        node: process.version,
        loadAverage1m: os.loadavg()[0],
      },
      profile: 'local (shipped), demo model, SERVE_PORT=0',
      targetReadyMs: TARGET_MS,
      readyMs: ready,
      gatewayReadyMs: stats(results.map((r) => r.gatewayReadyMs)),
      stopMs: stop,
      met: ready.median < TARGET_MS,
      runs: results,
    };
    const dir = path.join(repoRoot, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'startup.json'), JSON.stringify(summary, null, 2) + '\n');
    const f = (n: number) => `${Math.round(n)} ms`;
    writeFileSync(
      path.join(dir, 'startup.md'),
      `# Startup: \`serve up --profile local\` to ready

${summary.date} · ${summary.machine.cpus} CPUs · Node ${summary.machine.node} · load average ${summary.machine.loadAverage1m.toFixed(2)} · ${runs} runs

| measure | min | median | max |
|---|---|---|---|
| spawn -> ready (status printed) | ${f(ready.min)} | ${f(ready.median)} | ${f(ready.max)} |
| spawn -> gateway /v2/health/ready 200 | ${f(summary.gatewayReadyMs.min)} | ${f(summary.gatewayReadyMs.median)} | ${f(summary.gatewayReadyMs.max)} |
| SIGTERM -> everything stopped | ${f(stop.min)} | ${f(stop.median)} | ${f(stop.max)} |

Target: ready in under ${TARGET_MS} ms (median): **${summary.met ? 'met' : 'missed'}**.
Ready means the gateway listens and every replica of the profile (${results[0]?.replicas ?? 0}) has loaded its ONNX session and answered ready.
`,
    );
    process.stdout.write(
      `startup: median ${f(ready.median)} to ready (target < ${TARGET_MS} ms: ${summary.met ? 'met' : 'missed'})\n`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
