// Benchmark (issue 7, item 1): overload must not become an outage. Starts `serve up --profile local`
// (2 replicas + gateway on this host, through startCluster), offers far more than it can take with
// `serve bench --rps 12000 --connections 4000 --duration 8s`, reads the gateway's /metrics right
// after, then checks that 200 req/s for 3 s meets p99 < 100 ms with no errors. Samples the CPU of
// every process on the host during the overload, so a machine shared with other work shows.
// Writes bench/results/overload.{json,md}.
// Usage: npm run build && node dist/bench/overload.js [--rps 12000] [--connections 4000] [--duration-s 8]
//          [--after-rps 200] [--after-s 3] [--tag NAME]
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster, type ClusterHandle } from '../src/cluster/controller/controller.js';
import { writeDemoModel } from '../src/model/demo.js';
import { loadProfile } from '../src/profile/index.js';
import { cliEntry, fmt, machine, writeResults } from './replica-harness.js';

const { values } = parseArgs({
  options: {
    rps: { type: 'string', default: '12000' },
    connections: { type: 'string', default: '4000' },
    'duration-s': { type: 'string', default: '8' },
    'after-rps': { type: 'string', default: '200' },
    'after-s': { type: 'string', default: '3' },
    tag: { type: 'string' },
  },
});
const MODEL = 'cnn-lstm';
const MIN_GOODPUT_PER_SEC = 1000;
const AFTER_P99_MS = 100;

interface BenchJson {
  rate: { requestedPerSec: number; sentPerSec: number; achievedPerSec: number };
  requests: { scheduled: number; sent: number; ok: number; errors: number; notSent: number; sentLate: number };
  errorsByClass: Record<string, number>;
  errorRate: number;
  latency: { p50Ms: number; p99Ms: number; maxMs: number };
}

/** Runs `serve bench ... --json` in its own process, as a user would. */
function serveBench(url: string, args: string[]): Promise<{ result: BenchJson; pid: number }> {
  return new Promise((resolve, reject) => {
    // --warmup 0: the overload starts when this bench does, as recorded before the CLI's 2 s default.
    const child = spawn(
      process.execPath,
      [cliEntry, 'bench', '--url', url, '--model', MODEL, '--json', '--warmup', '0', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve({ result: JSON.parse(out) as BenchJson, pid: child.pid! });
      } catch {
        reject(new Error(`serve bench printed no JSON: ${err.slice(0, 800)}`));
      }
    });
  });
}

/** CPU seconds used so far by every process on the host, by pid, with its command line. */
async function cpuByProcess(): Promise<Map<number, { cmd: string; s: number }>> {
  const out = new Map<number, { cmd: string; s: number }>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = (await readFile(`/proc/${name}/cmdline`, 'utf8')).replaceAll('\0', ' ').trim().slice(0, 100);
      out.set(Number(name), { cmd, s: (Number(f[11]) + Number(f[12])) / 100 });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Share of one core each process used between two samples, busiest first (only those above 2%). */
function cpuShares(
  before: Map<number, { cmd: string; s: number }>,
  after: Map<number, { cmd: string; s: number }>,
  wallS: number,
  names: Map<number, string>,
) {
  const rows: { who: string; percent: number }[] = [];
  for (const [pid, a] of after) {
    const percent = Math.round(((a.s - (before.get(pid)?.s ?? a.s)) / wallS) * 100);
    if (percent >= 2) rows.push({ who: names.get(pid) ?? `other: ${a.cmd || pid}`, percent });
  }
  return rows.sort((x, y) => y.percent - x.percent);
}

/** Jiffies of the whole machine (all cores) from /proc/stat: busy, in interrupts (the kernel's
 * loopback networking, charged to no process), stolen by the hypervisor, and in total. */
async function machineJiffies(): Promise<{ busy: number; irq: number; steal: number; total: number }> {
  const f = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - (f[4] ?? 0), irq: (f[5] ?? 0) + (f[6] ?? 0), steal: f[7] ?? 0, total };
}

function metric(text: string, re: RegExp): number {
  return Number(re.exec(text)?.[1] ?? NaN);
}

const tmp = await mkdtemp(path.join(os.tmpdir(), 'serve-overload-bench-'));
let cluster: ClusterHandle | undefined;
try {
  const registry = path.join(tmp, 'models');
  await writeDemoModel(registry);
  const profile = await loadProfile('local', { env: { ...process.env, SERVE_PORT: '0', SERVE_MODELS: registry } });
  cluster = await startCluster(profile, { stateDir: path.join(tmp, 'state'), registryOverride: registry, cliEntry });
  const st = cluster.status();
  const url = cluster.gatewayUrl;
  const names = new Map<number, string>([
    [st.gateway.pid!, 'gateway'],
    [process.pid, 'bench script + controller'],
  ]);
  for (const r of st.replicas) if (r.pid !== undefined) names.set(r.pid, r.id);
  const loadBefore = os.loadavg();
  process.stderr.write(`cluster up at ${url}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`);

  // The overload, with the CPU of every process on the host sampled from 1 s in to 1 s before the end.
  const durationS = Number(values['duration-s']);
  const ok200 = async () =>
    metric(await (await fetch(`${url}/metrics`)).text(), /^serve_gateway_requests_total\{code="200"\} (\d+)/m) || 0;
  const okBefore = await ok200();
  const overStart = performance.now();
  const over = serveBench(url, [
    '--rps',
    values.rps!,
    '--connections',
    values.connections!,
    '--duration',
    `${durationS}s`,
  ]);
  await new Promise((r) => setTimeout(r, 1500));
  const [cpu0, m0] = [await cpuByProcess(), await machineJiffies()];
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, (durationS - 2) * 1000));
  const [cpu1, m1] = [await cpuByProcess(), await machineJiffies()];
  const wallS = (performance.now() - t0) / 1000;
  const { result: o, pid: generatorPid } = await over;
  const overWallS = (performance.now() - overStart) / 1000;
  names.set(generatorPid, 'load generator (serve bench)');
  const cpu = cpuShares(cpu0, cpu1, wallS, names);
  // What the machine as a whole was busy with (in % of one core), against what this benchmark's
  // processes and the kernel's interrupt work used: the rest went to work this container cannot
  // see (other containers), or was stolen by the hypervisor.
  const share = (a: number, b: number) => Math.round(((a - b) / (m1.total - m0.total)) * os.cpus().length * 100);
  const machineBusyPercent = share(m1.busy, m0.busy);
  const irqPercent = share(m1.irq, m0.irq);
  const stealPercent = share(m1.steal, m0.steal);
  const oursPercent = cpu.filter((c) => !c.who.startsWith('other:')).reduce((a, c) => a + c.percent, 0);
  const others = cpu.filter((c) => c.who.startsWith('other:'));
  const foreignPercent = Math.max(
    others.reduce((a, c) => a + c.percent, 0),
    machineBusyPercent - oursPercent - irqPercent,
  );

  const text = await (await fetch(`${url}/metrics`)).text();
  const gateway = {
    okPerSec: Math.round(
      ((metric(text, /^serve_gateway_requests_total\{code="200"\} (\d+)/m) || 0) - okBefore) / overWallS,
    ),
    ejectedNow: metric(text, /^serve_gateway_replicas\{state="ejected"\} (\d+)/m),
    readyNow: metric(text, /^serve_gateway_replicas\{state="ready"\} (\d+)/m),
    ejectionsTotal: metric(text, /^serve_gateway_ejections_total (\d+)/m),
    answersByCode: Object.fromEntries(
      [...text.matchAll(/^serve_gateway_requests_total\{code="(\d+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]),
    ),
    shedByReason: Object.fromEntries(
      [...text.matchAll(/^serve_gateway_shed_total\{reason="(\w+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]),
    ),
  };
  const { result: a } = await serveBench(url, ['--rps', values['after-rps']!, '--duration', `${values['after-s']}s`]);

  const checks = {
    goodput: o.rate.achievedPerSec >= MIN_GOODPUT_PER_SEC,
    noEjectedReplica: gateway.ejectedNow === 0,
    afterP99: a.latency.p99Ms < AFTER_P99_MS,
    afterNoErrors: a.requests.errors === 0,
  };
  const report = {
    bench: 'overload',
    tag: values.tag,
    at: new Date().toISOString(),
    machine: machine(),
    profile: 'local',
    loadAverageBefore: loadBefore,
    cpuPercentDuringOverload: cpu,
    machineBusyPercent,
    irqPercent,
    stealPercent,
    foreignPercent,
    overload: { rps: Number(values.rps), connections: Number(values.connections), durationS, result: o },
    gatewayAfterOverload: gateway,
    after: { rps: Number(values['after-rps']), durationS: Number(values['after-s']), result: a },
    targets: { minGoodputPerSec: MIN_GOODPUT_PER_SEC, afterP99Ms: AFTER_P99_MS },
    checks,
    met: Object.values(checks).every(Boolean),
  };
  const ok = (b: boolean) => (b ? 'met' : '**NOT met**');
  const classes =
    Object.entries(o.errorsByClass)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ') || 'none';
  const md =
    `# Overload: serve up --profile local under ${fmt(Number(values.rps))} req/s\n\n${report.at}, ${report.machine}${values.tag ? `, ${values.tag}` : ''}\n\n` +
    `Local profile (2 replicas, 1 ONNX Runtime thread each) + gateway + controller + load generator, all on this host. ` +
    `\`serve bench --rps ${values.rps} --connections ${values.connections} --duration ${durationS}s\`, then \`serve bench --rps ${values['after-rps']} --duration ${values['after-s']}s\`.\n\n` +
    `| check | target | measured | |\n|---|---|---|---|\n` +
    `| successful req/s during the overload (rate.achievedPerSec) | >= ${fmt(MIN_GOODPUT_PER_SEC)} | ${fmt(o.rate.achievedPerSec)} | ${ok(checks.goodput)} |\n` +
    `| ejected replicas in /metrics right after | 0 | ${gateway.ejectedNow} (ejections so far: ${gateway.ejectionsTotal}) | ${ok(checks.noEjectedReplica)} |\n` +
    `| p99 at ${values['after-rps']} req/s right after | < ${AFTER_P99_MS} ms | ${a.latency.p99Ms.toFixed(1)} ms | ${ok(checks.afterP99)} |\n` +
    `| errors at ${values['after-rps']} req/s right after | 0 | ${a.requests.errors} of ${a.requests.sent} | ${ok(checks.afterNoErrors)} |\n\n` +
    `During the overload: ${fmt(o.requests.sent)} sent (${fmt(o.rate.sentPerSec)}/s: the generator's own limit on this host), ${fmt(o.requests.ok)} answered 200, failures: ${classes}. ` +
    `The gateway answered ${fmt(gateway.okPerSec)} successes/s over the generator's whole run (its own count, which includes answers the generator no longer waited for); its answers by status: ${Object.entries(
      gateway.answersByCode,
    )
      .map(([k, v]) => `${k}: ${fmt(v)}`)
      .join(', ')}; shed by reason: ${
      Object.entries(gateway.shedByReason)
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ') || 'none'
    }.\n\n` +
    ((o.errorsByClass.timeout ?? 0) > 0
      ? `The generator's \`timeout\` failures are requests it gave up on after its own 10 s limit, counted from the moment it scheduled them: with all ${values.connections} of its connections busy it queues requests itself, and when it is short of CPU it reads answers late (the gateway's record above holds every answer it wrote).\n\n`
      : '') +
    `CPU during the overload (% of one core, ${os.cpus().length} cores): ${cpu.map((c) => `${c.who} ${c.percent}%`).join(', ')}; ` +
    `the machine as a whole was ${machineBusyPercent}% busy (of ${os.cpus().length * 100}%), ${irqPercent}% of it in the kernel's interrupt handling (loopback networking)` +
    `${stealPercent > 0 ? `, and ${stealPercent}% was stolen by the hypervisor` : ''}.\n` +
    (foreignPercent >= 10
      ? `\n**The machine was shared with other work at the time**: about ${foreignPercent}% of a core went to processes outside this benchmark` +
        `${others.length > 0 ? '' : ' (not visible from here: other containers on the same host)'}, so the figures are lower than on a quiet machine.\n`
      : '');
  await writeResults(values.tag ? `overload-${values.tag}` : 'overload', report, md);
  process.stdout.write(md);
} finally {
  await cluster?.stop().catch(() => undefined);
  await rm(tmp, { recursive: true, force: true });
}
