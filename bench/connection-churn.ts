// Benchmark: what the holder's copies of client connections cost (gateway, data plane;
// gateway/holder/lend.ts). `serve gateway --hold` in front of a stand-in replica that answers at once,
// and clients that open a new connection for every request (`Connection: close`, 8 at a time): the
// worst case, since a keep-alive client pays for its connection once. Rounds alternate
// `keepConnections` true and false (A B A B), on the same build; each reports requests per second
// and the CPU time of the holder and of its serving process per request (/proc/<pid>/stat).
// Usage: node dist/bench/connection-churn.js [--requests 4000] [--rounds 3]
// Writes bench/results/connection-churn.{json,md}.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { cliEntry, writeResults } from './replica-harness.js';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '4000' }, rounds: { type: 'string', default: '3' } },
});
const requests = Number(values.requests);
const rounds = Number(values.rounds);
const CONCURRENCY = 8;
const body = JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] });

/** CPU ms (user + system) of `pid` so far. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * (1000 / 100);
}

interface Round {
  keep: boolean;
  reqPerSec: number;
  holderCpuUsPerReq: number;
  gatewayCpuUsPerReq: number;
  failed: number;
}

async function round(replicaUrl: string, keep: boolean): Promise<Round> {
  const proc = spawn(process.execPath, [cliEntry, 'gateway', '--hold', '--settings-stdin', '--exit-with-parent'], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const settings = { host: '127.0.0.1', port: 0, replicaTransport: 'http', keepConnections: keep };
  proc.stdin.write(JSON.stringify({ type: 'settings', settings }) + '\n');
  proc.stdin.write(JSON.stringify({ type: 'replicas', replicas: [{ id: 'r0', url: replicaUrl, ready: true }] }) + '\n');
  let url = '';
  let serving = 0;
  await new Promise<void>((resolve) => {
    let buf = '';
    proc.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      for (const line of buf.split('\n')) {
        if (line.includes('"event":"serving"')) serving = (JSON.parse(line) as { pid: number }).pid;
        if (line.includes('"event":"listening"')) url = (JSON.parse(line) as { url: string }).url;
      }
      if (url && serving) resolve();
    });
  });
  const one = () =>
    new Promise<number>((resolve) => {
      const req = http.request(
        `${url}/v2/models/demo/infer`,
        {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', connection: 'close', 'content-length': body.length },
        },
        (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)),
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });
  for (let i = 0; i < 300; i++) await one(); // warm-up
  const cpu0 = [cpuMs(proc.pid!), cpuMs(serving)];
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < requests) if ((await one()) !== 200) failed++;
    }),
  );
  const ms = performance.now() - t0;
  const cpu1 = [cpuMs(proc.pid!), cpuMs(serving)];
  proc.kill('SIGKILL');
  const perReq = (ms: number) => Math.round((ms * 1000) / requests);
  return {
    keep,
    reqPerSec: Math.round((requests / ms) * 1000),
    holderCpuUsPerReq: perReq(cpu1[0]! - cpu0[0]!),
    gatewayCpuUsPerReq: perReq(cpu1[1]! - cpu0[1]!),
    failed,
  };
}

const replica = http.createServer((req, res) => {
  req.resume().on('end', () => res.setHeader('content-type', 'application/json').end('{"outputs":[]}'));
});
await new Promise<void>((r) => replica.listen(0, '127.0.0.1', r));
const replicaUrl = `http://127.0.0.1:${(replica.address() as { port: number }).port}`;
const results: Round[] = [];
const loadBefore = os.loadavg();
for (let i = 0; i < rounds; i++)
  for (const keep of [true, false]) {
    const r = await round(replicaUrl, keep);
    results.push(r);
    process.stderr.write(`round ${i + 1} keep_connections ${keep}: ${JSON.stringify(r)}\n`);
  }
replica.close();
const rows = results.map(
  (r, i) =>
    `| ${Math.floor(i / 2) + 1} | ${r.keep} | ${r.reqPerSec} | ${r.holderCpuUsPerReq} | ${r.gatewayCpuUsPerReq} | ` +
    `${r.holderCpuUsPerReq + r.gatewayCpuUsPerReq} | ${r.failed} |`,
);
const md = [
  '# Connection churn through the socket holder: gateway.keep_connections true / false',
  '',
  `${new Date().toISOString()}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, node ${process.version}, ` +
    `load average before ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}, after ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}.`,
  '',
  `\`node dist/bench/connection-churn.js --requests ${requests} --rounds ${rounds}\`: ${requests} requests a round, ` +
    `each on a new connection (\`Connection: close\`), ${CONCURRENCY} at a time, to \`serve gateway --hold\` in front ` +
    'of a stand-in replica that answers at once (HTTP to it); CPU per request from /proc/<pid>/stat (10 ms ticks).',
  '',
  '| round | keep_connections | req/s | holder CPU µs/req | serving process CPU µs/req | both | failed |',
  '|---:|---|---:|---:|---:|---:|---:|',
  ...rows,
  '',
].join('\n');
await writeResults('connection-churn', { requests, rounds, concurrency: CONCURRENCY, results }, md);
process.stderr.write(md);
