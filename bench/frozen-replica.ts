// Benchmark: a replica frozen whole for 30 s under 100 req/s (gateway, data plane). The gateway
// in-process with `request_timeout: 1s`, two real `serve replica` processes of the demo model (each
// its own process group, one ONNX Runtime thread), an open loop of 100 req/s; after 5 s every process
// of one replica is stopped (SIGSTOP: no connection is closed) for 30 s, then continued, and the
// loop runs 5 s more. Run twice: with per-try timeouts (the default `try_timeout_min` 100 ms) and
// with them off (`try_timeout_min` 10 s, above the budget: the gateway before them).
// Writes bench/results/frozen-replica.{json,md}. Usage: node dist/bench/frozen-replica.js [--freeze-s 30] [--rps 100]
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { createLogger } from '../src/common/log.js';
import { startGateway } from '../src/gateway/server.js';
import { writeDemoModel } from '../src/model/demo.js';
import { replicaProcess } from '../test/gateway/replica-process.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const { values: args } = parseArgs({
  options: { 'freeze-s': { type: 'string', default: '30' }, rps: { type: 'string', default: '100' } },
});
const freezeS = Number(args['freeze-s']);
const rps = Number(args.rps);
const body = JSON.stringify({
  inputs: [{ name: 'x', shape: [1, 60, 16], datatype: 'FP32', data: new Array(960).fill(0.25) }],
});

interface Run {
  tryTimeoutMinMs: number;
  requests: number;
  statuses: Record<string, number>;
  /** Client-side latency of requests sent while the replica was stopped (ms). */
  frozenP50Ms: number;
  frozenP99Ms: number;
  frozenMaxMs: number;
  tryTimeouts: number;
  ejections: number;
}

async function run(registry: string, tryTimeoutMinMs: number): Promise<Run> {
  const children: ChildProcess[] = [];
  const urls = await Promise.all(['r1', 'r2'].map((id) => replicaProcess(registry, id, children)));
  const gw = await startGateway({
    port: 0,
    logger: createLogger({ component: 'gateway' }, { write: () => {} }),
    replicas: urls.map((url, i) => ({ id: `r${i + 1}`, url, ready: true })),
    requestTimeoutMs: 1000,
    tryTimeoutMinMs,
  });
  const statuses: Record<string, number> = {};
  const frozenMs: number[] = [];
  const pending: Promise<void>[] = [];
  let frozen = false;
  const load = async (seconds: number) => {
    const t0 = performance.now();
    for (let k = 0; k < seconds * rps; k++) {
      const wait = t0 + (k * 1000) / rps - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const sentDuringFreeze = frozen;
      const s0 = performance.now();
      pending.push(
        request(gw.url + '/v2/models/cnn-lstm/infer', {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
        }).then(
          async (r) => {
            await r.body.arrayBuffer();
            statuses[r.statusCode] = (statuses[r.statusCode] ?? 0) + 1;
            if (sentDuringFreeze) frozenMs.push(performance.now() - s0);
          },
          () => {
            statuses.error = (statuses.error ?? 0) + 1;
          },
        ),
      );
    }
  };
  try {
    await load(5);
    process.kill(-children[0]!.pid!, 'SIGSTOP');
    frozen = true;
    await load(freezeS);
    frozen = false;
    process.kill(-children[0]!.pid!, 'SIGCONT');
    await load(5);
    await Promise.all(pending);
    const text = await gw.metrics();
    frozenMs.sort((a, b) => a - b);
    const at = (q: number) => Math.round(frozenMs[Math.min(frozenMs.length - 1, Math.floor(q * frozenMs.length))]!);
    return {
      tryTimeoutMinMs,
      requests: pending.length,
      statuses,
      frozenP50Ms: at(0.5),
      frozenP99Ms: at(0.99),
      frozenMaxMs: Math.round(frozenMs.at(-1)!),
      tryTimeouts: Number(/^serve_gateway_retries_total\{reason="timeout"\} (\d+)/m.exec(text)?.[1] ?? 0),
      ejections: gw.stats().ejections,
    };
  } finally {
    await gw.close();
    for (const c of children) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      process.kill(-c.pid!, 'SIGCONT');
      process.kill(-c.pid!, 'SIGKILL');
    }
  }
}

const registry = await mkdtemp(path.join(os.tmpdir(), 'serve-frozen-bench-'));
await writeDemoModel(registry);
const runs: Run[] = [];
try {
  for (const floor of [100, 10_000]) {
    runs.push(await run(registry, floor));
    process.stderr.write(`try_timeout_min ${floor} ms: ${JSON.stringify(runs.at(-1))}\n`);
  }
} finally {
  await rm(registry, { recursive: true, force: true });
}
const summary = {
  at: new Date().toISOString(),
  cpus: os.availableParallelism(),
  node: process.version,
  rps,
  freezeS,
  runs,
};
const failed = (r: Run) => r.requests - (r.statuses['200'] ?? 0);
const out = path.join(repoRoot, 'bench', 'results');
writeFileSync(path.join(out, 'frozen-replica.json'), JSON.stringify(summary, null, 2) + '\n');
writeFileSync(
  path.join(out, 'frozen-replica.md'),
  [
    '# A replica frozen whole (SIGSTOP) under load: per-try timeouts',
    '',
    `${summary.at} · ${summary.cpus} CPUs · Node ${summary.node} · ${rps} req/s open loop · gateway.request_timeout 1s · ` +
      `2 local replicas of the demo model (1 ORT thread each) · one replica's process group stopped for ${freezeS} s after 5 s, then 5 s more`,
    '',
    '| per-try timeouts | requests | failed | statuses | sent while stopped: p50 / p99 / max | tries timed out (resent) | ejections |',
    '|---|---:|---:|---|---:|---:|---:|',
    ...runs.map(
      (r) =>
        `| ${r.tryTimeoutMinMs > 1000 ? 'off (try_timeout_min 10s)' : `on (try_timeout_min ${r.tryTimeoutMinMs}ms)`} | ${r.requests} | ${failed(r)} | ${JSON.stringify(r.statuses)} | ${r.frozenP50Ms} / ${r.frozenP99Ms} / ${r.frozenMaxMs} ms | ${r.tryTimeouts} | ${r.ejections} |`,
    ),
    '',
  ].join('\n'),
);
process.stderr.write('results in bench/results/frozen-replica.md\n');
