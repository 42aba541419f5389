// Benchmark (issue 12 throughput): CPU time per request of every thread of `serve up --profile local`
// (the gateway's and each replica's main thread, a replica's session worker, V8's helper threads) at
// a fixed open-loop rate, from /proc/<pid>/task/<tid>/stat (Linux only). A CPU profile attributes to
// `writev` the time a process waits for a CPU inside the system call; this counts only CPU used.
// One run, several rounds; medians. Writes bench/results/cpu-threads.{json,md}.
// Usage: node dist/bench/cpu-threads.js [--rate 4000] [--duration-s 6] [--rounds 3] [--binary] [--tag NAME]
import { readdir, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadNote, serveBench, startLocal } from './cluster-harness.js';
import { machine, writeResults } from './replica-harness.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '4000' },
    'duration-s': { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
    binary: { type: 'boolean', default: false },
    tag: { type: 'string' },
  },
});
const rate = Number(values.rate);
const durationS = Number(values['duration-s']);
const payload = values.binary ? ['--binary'] : [];

/** CPU seconds (user, system) of every thread of `pid`, by thread id. */
async function threadCpu(pid: number): Promise<Map<number, { userS: number; systemS: number }>> {
  const out = new Map<number, { userS: number; systemS: number }>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    try {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { userS: Number(f[11]) / 100, systemS: Number(f[12]) / 100 });
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return out;
}

/** µs per request of one kind of thread: user and system. */
interface Share {
  userUs: number;
  systemUs: number;
}
type Row = Record<string, Share>;

/**
 * One round: threads of a process are its main thread (tid = pid), for a replica its busiest other
 * thread (the session worker), and the rest (V8's and libuv's helper threads).
 */
async function round(): Promise<{ row: Row; p99Ms: number; load: string }> {
  const cluster = await startLocal();
  try {
    await serveBench(cluster.url, ['--rps', String(rate), '--duration', '2s', ...payload]);
    const before = new Map(
      await Promise.all(Object.entries(cluster.pids).map(async ([k, pid]) => [k, await threadCpu(pid)] as const)),
    );
    const run = await serveBench(cluster.url, ['--rps', String(rate), '--duration', `${durationS}s`, ...payload]);
    const n = run.result.requests.ok;
    const row: Row = {};
    const add = (kind: string, userS: number, systemS: number) => {
      const s = (row[kind] ??= { userUs: 0, systemUs: 0 });
      s.userUs += (userS * 1e6) / n;
      s.systemUs += (systemS * 1e6) / n;
    };
    for (const [name, pid] of Object.entries(cluster.pids)) {
      const proc = name === 'gateway' ? 'gateway' : 'replicas';
      const was = before.get(name)!;
      const used = [...(await threadCpu(pid))].map(([tid, c]) => ({
        tid,
        userS: c.userS - (was.get(tid)?.userS ?? 0),
        systemS: c.systemS - (was.get(tid)?.systemS ?? 0),
      }));
      const main = used.find((t) => t.tid === pid);
      if (main) add(`${proc} main thread`, main.userS, main.systemS);
      const others = used.filter((t) => t.tid !== pid).sort((a, b) => b.userS + b.systemS - (a.userS + a.systemS));
      if (proc === 'replicas' && others[0]) add('replicas session worker', others[0].userS, others[0].systemS);
      for (const t of proc === 'replicas' ? others.slice(1) : others) add(`${proc} helper threads`, t.userS, t.systemS);
    }
    add('generator (whole process, with its start-up)', run.generatorCpuS, 0);
    return { row, p99Ms: run.result.latency.p99Ms, load: loadNote() };
  } finally {
    await cluster.stop();
  }
}

const rounds: Array<Awaited<ReturnType<typeof round>>> = [];
for (let i = 0; i < Number(values.rounds); i++) {
  const r = await round();
  rounds.push(r);
  process.stderr.write(
    `round ${i + 1}: ${Object.entries(r.row)
      .map(([k, s]) => `${k} ${(s.userUs + s.systemUs).toFixed(0)}`)
      .join(', ')} µs/request; p99 ${r.p99Ms.toFixed(1)} ms (${r.load})\n`,
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kinds = Object.keys(rounds[0]!.row);
const med = Object.fromEntries(
  kinds.map((k) => [
    k,
    {
      userUs: median(rounds.map((r) => r.row[k]?.userUs ?? 0)),
      systemUs: median(rounds.map((r) => r.row[k]?.systemUs ?? 0)),
    },
  ]),
);
const total = Object.values(med).reduce((a, s) => a + s.userUs + s.systemUs, 0);
const at = new Date().toISOString();
const md =
  `# CPU per request by thread: serve up --profile local at ${rate} req/s, ${values.binary ? 'binary' : 'JSON'}\n\n${at}, ${machine()}${values.tag ? `, ${values.tag}` : ''}\n\n` +
  `Open loop at ${rate} req/s for ${durationS} s (after a 2 s warm-up run), single-row demo-model requests from a separate \`serve bench\`; ` +
  `CPU of each thread from /proc/<pid>/task/<tid>/stat over the measured run, divided by the requests answered (both replicas together); medians of ${rounds.length} rounds ` +
  "(the generator's user and system time are sampled together and shown as user).\n\n| thread | user µs | system µs | total µs |\n|---|---|---|---|\n" +
  Object.entries(med)
    .map(
      ([k, s]) =>
        `| ${k} | ${s.userUs.toFixed(0)} | ${s.systemUs.toFixed(0)} | ${(s.userUs + s.systemUs).toFixed(0)} |`,
    )
    .join('\n') +
  `\n| **all** | | | **${total.toFixed(0)}** |\n\n2 cores / total: ${(2e6 / total).toFixed(0)} req/s. p99 per round: ${rounds.map((r) => r.p99Ms.toFixed(1)).join(', ')} ms. ` +
  `Load average per round: ${rounds.map((r) => r.load.replace('load average ', '')).join('; ')}\n`;
await writeResults(
  'cpu-threads',
  {
    bench: 'cpu-threads',
    at,
    machine: machine(),
    tag: values.tag,
    rate,
    durationS,
    binary: values.binary,
    rounds,
    medians: med,
  },
  md,
);
process.stdout.write(md);
