// Benchmark: every process of an SSH host stopped under 100 req/s (issue 29, hosts 3), the whole
// cluster as users run it. One real sshd host in a network namespace (test/helpers/ssh-lab.ts; root
// needed) and this machine; the shipped `local` profile (2 replicas of the demo model, one ONNX
// Runtime thread each, `request_timeout: 1s`, per-try timeouts at their defaults) with
// `hosts: [local (cpus 1), h1]`, so placement puts one replica on each; the controller in this
// process (startCluster, the real CLI entry for the gateway and every replica, here and on h1).
// Open loop on the project's load client (bench/survival-load.ts); after --before-s every process of
// h1 (sshd, the ssh session, the replica) is stopped with SIGSTOP (no connection is closed) for
// --freeze-s, then continued; the load runs --after-s more. Meanwhile the controller's status and
// the gateway's /metrics are read every 100 ms: when the gateway stopped sending to h1's replica,
// whether the controller declared h1 lost and placed the replica again, and h1's state after.
// Writes bench/results/frozen-host.{json,md} (or --out NAME).
// Usage: node dist/bench/frozen-host.js [--freeze-s 30] [--rps 100] [--runs 1] [--before-s 5] [--after-s 10]
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from '../src/cluster/controller/controller.js';
import type { ClusterStatus } from '../src/common/cluster-status.js';
import { writeDemoModel } from '../src/model/demo.js';
import { loadProfile } from '../src/profile/index.js';
import { repoRoot } from '../test/helpers/paths.js';
import { startSshLab, type SshLab } from '../test/helpers/ssh-lab.js';
import { hostRun, markdown, type HostRun, type Sample } from './frozen-host-report.js';
import { payloadsFor, startLoad } from './survival-load.js';

const { values: args } = parseArgs({
  options: {
    'freeze-s': { type: 'string', default: '30' },
    rps: { type: 'string', default: '100' },
    runs: { type: 'string', default: '1' },
    'before-s': { type: 'string', default: '5' },
    'after-s': { type: 'string', default: '10' },
    out: { type: 'string', default: 'frozen-host' },
  },
});
const opts = {
  freezeS: Number(args['freeze-s']),
  rps: Number(args.rps),
  runs: Number(args.runs),
  beforeS: Number(args['before-s']),
  afterS: Number(args['after-s']),
};
for (const [k, v] of Object.entries(opts)) if (!(v > 0)) throw new Error(`--${k}: a positive number, got ${v}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The gateway's replica counts and counters that tell a stopped replica apart (its /metrics). */
async function gatewayMetrics(url: string): Promise<Sample['gateway']> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(500) })).text();
    const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
    return {
      ready: num(/^serve_gateway_replicas\{state="ready"\} (\S+)/m),
      notReady: num(/^serve_gateway_replicas\{state="not_ready"\} (\S+)/m),
      ejected: num(/^serve_gateway_replicas\{state="ejected"\} (\S+)/m),
      ejections: num(/^serve_gateway_ejections_total (\S+)/m),
      tryTimeouts: num(/^serve_gateway_retries_total\{reason="timeout"\} (\S+)/m),
      connectRetries: num(/^serve_gateway_retries_total\{reason="connect"\} (\S+)/m),
    };
  } catch {
    return undefined;
  }
}

/** h1's state and its replicas' (id:state), and where every ready replica runs. */
function clusterSample(s: ClusterStatus): Sample['cluster'] {
  const h1 = s.hosts?.find((h) => h.name === 'h1');
  return {
    h1: h1 ? `${h1.state}${h1.reason ? ` (${h1.reason})` : ''}` : 'absent',
    replicas: s.replicas.map((r) => `${r.id}:${r.state}@${r.host ?? '-'}${r.pid ? `#${r.pid}` : ''}`).join(' '),
  };
}

async function oneRun(lab: SshLab, run: number): Promise<HostRun> {
  const host = lab.hosts[0]!;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'serve-frozen-host-'));
  const registry = path.join(tmp, 'models');
  await writeDemoModel(registry);
  const profile = await loadProfile('local', {
    cwd: repoRoot,
    env: { ...process.env, SERVE_PORT: '0', SERVE_MODELS: registry },
  });
  // One replica fits here (cpus 1, each replica 1), so the second is placed on h1.
  profile.hosts = [
    { name: 'local', node: 'node', cpus: 1 },
    {
      name: 'h1',
      ssh: host.destination,
      workdir: repoRoot,
      node: process.execPath,
      registry: path.join(lab.dir, `h1-models-${run}`),
    },
  ];
  profile.ssh = { ...profile.ssh, knownHostsFile: lab.knownHosts, identityFile: lab.userKey, configFile: 'none' };
  const stateDir = path.join(tmp, 'state');
  const startMs = performance.now();
  const cluster = await startCluster(profile, { stateDir, registryOverride: registry });
  let frozen = false;
  try {
    for (let i = 0; ; i++) {
      const s = cluster.status();
      const ready = s.replicas.filter((r) => r.state === 'ready');
      if (ready.length === 2 && ready.some((r) => r.host === 'local') && ready.some((r) => r.host === 'h1')) break;
      if (i > 600) throw new Error(`not one ready replica on each host after 60 s: ${clusterSample(s).replicas}`);
      await sleep(100);
    }
    const placed = clusterSample(cluster.status()).replicas;
    const startedS = (performance.now() - startMs) / 1000;
    process.stderr.write(`run ${run}: cluster ready in ${startedS.toFixed(1)} s: ${placed}\n`);
    const payloads = await payloadsFor(cluster.gatewayUrl);
    const samples: Sample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const atMs = performance.now();
        samples.push({
          atMs,
          cluster: clusterSample(cluster.status()),
          gateway: await gatewayMetrics(cluster.gatewayUrl),
        });
        await sleep(Math.max(0, 100 - (performance.now() - atMs)));
      }
    })();
    const loadAvgBefore = os.loadavg();
    const load = startLoad(cluster.gatewayUrl, opts.rps, payloads, { connections: 64, timeoutMs: 5000 });
    const loadStartMs = performance.now();
    await sleep(opts.beforeS * 1000);
    host.freeze();
    frozen = true;
    const freezeMs = performance.now();
    process.stderr.write(`run ${run}: h1 stopped (SIGSTOP) for ${opts.freezeS} s\n`);
    await sleep(opts.freezeS * 1000);
    host.thaw();
    frozen = false;
    const thawMs = performance.now();
    process.stderr.write(`run ${run}: h1 continued\n`);
    await sleep(opts.afterS * 1000);
    await load.stop();
    const loadEndMs = performance.now();
    // After the load: how h1 and its replica come back (at most 60 s more).
    let backMs: number | undefined;
    for (const end = performance.now() + 60_000; performance.now() < end;) {
      const s = cluster.status();
      if (
        s.hosts?.find((h) => h.name === 'h1')?.state === 'up' &&
        s.replicas.some((r) => r.host === 'h1' && r.state === 'ready')
      ) {
        backMs = performance.now();
        break;
      }
      await sleep(100);
    }
    sampling = false;
    await sampler;
    // What runs on h1 now: the replica stopped with it should have exited once it ran again.
    const cmdline = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      } catch {
        return '(gone)';
      }
    };
    const h1Processes = host.ourPids().map((pid) => `${pid} ${cmdline(pid).slice(0, 160)}`);
    const frozenPid = /@h1#(\d+)/.exec(placed)?.[1];
    const log = readFileSync(path.join(stateDir, 'logs', 'controller.log'), 'utf8');
    return hostRun({
      run,
      startedS,
      placed,
      load,
      marks: { loadStartMs, freezeMs, thawMs, loadEndMs, backMs },
      samples,
      loadAvgBefore,
      loadAvgAfter: os.loadavg(),
      finalStatus: clusterSample(cluster.status()),
      h1Processes,
      frozenReplicaLeft: h1Processes.some((l) => l.startsWith(`${frozenPid} `)),
      controllerLog: log.split('\n').filter((l) => /h1|lost|eject|placed|pending/i.test(l) && !/debug/i.test(l)),
    });
  } finally {
    if (frozen) host.thaw();
    await cluster.stop().catch((err: unknown) => process.stderr.write(`stop: ${String(err)}\n`));
    await rm(tmp, { recursive: true, force: true });
  }
}

const at = new Date().toISOString();
const loadAvgStart = os.loadavg();
const lab = await startSshLab(1);
const runs: HostRun[] = [];
try {
  for (let i = 1; i <= opts.runs; i++) {
    runs.push(await oneRun(lab, i));
    const r = runs.at(-1)!;
    process.stderr.write(`run ${i}: ${r.sent} sent, ${r.failed} failed ${JSON.stringify(r.failedByClass)}\n`);
  }
} finally {
  lab.cleanup();
}
const summary = {
  at,
  command: `node dist/bench/frozen-host.js ${process.argv.slice(2).join(' ')}`.trim(),
  cpus: os.availableParallelism(),
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  node: process.version,
  ...opts,
  loadAvgStart,
  loadAvgEnd: os.loadavg(),
  runs,
};
const out = path.join(repoRoot, 'bench', 'results');
writeFileSync(path.join(out, `${args.out}.json`), JSON.stringify(summary, null, 2) + '\n');
writeFileSync(path.join(out, `${args.out}.md`), markdown(summary));
process.stderr.write(`results in bench/results/${args.out}.md\n`);
