// A stand-in OIP v2 server with log-normal service times, in a child process (bench, issue 24):
// every infer answer waits exp(ln(median) + sigma·Z) milliseconds (timers, no CPU), times `scale`,
// so its true percentiles are known; optionally its event loop freezes once (busy) for freezeMs.
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { normalQuantile } from '../src/stats/index.js';
import { startServerChild, type ServerChild } from './loadgen-server.js';

const self = fileURLToPath(import.meta.url);

export interface LogNormalOptions {
  medianMs: number;
  sigma: number;
  /** Every service time multiplied by this (1.25 = 25% slower at every percentile). */
  scale?: number;
  /** The infer request with this 0-based index starts a busy freeze of the server's event loop. */
  freezeAtRequest?: number;
  freezeMs?: number;
  /** When set, the server writes what it did to this file as it stops (see `ServerRecord`). */
  recordTo?: string;
}

/** What the server itself saw (epoch milliseconds, sub-millisecond): each infer request's read and answer, and the freeze. */
export interface ServerRecord {
  readAtMs: number[];
  answeredAtMs: number[];
  freezeStartMs?: number;
  freezeEndMs?: number;
}

/** The true `fraction` quantile of the service time, milliseconds. */
export function trueQuantileMs(o: LogNormalOptions, fraction: number): number {
  return (o.scale ?? 1) * o.medianMs * Math.exp(o.sigma * normalQuantile(fraction));
}

/** One service time, milliseconds (Box-Muller). */
export function sampleMs(o: LogNormalOptions, random: () => number = Math.random): number {
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return (o.scale ?? 1) * o.medianMs * Math.exp(o.sigma * z);
}

/** Starts the server in a child process; resolves with its URL, pid and a stop function. */
export function startLogNormalServer(o: LogNormalOptions): Promise<ServerChild> {
  return startServerChild(self, JSON.stringify(o));
}

function serve(o: LogNormalOptions): void {
  const metadata = JSON.stringify({
    name: 'tiny',
    versions: ['1'],
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
  });
  const answer = JSON.stringify({
    model_name: 'tiny',
    outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 1], data: [0.5] }],
  });
  let count = 0;
  const now = () => performance.timeOrigin + performance.now();
  const record: ServerRecord = { readAtMs: [], answeredAtMs: [] };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const reply = (body: string) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      };
      if (req.method === 'POST' && req.url === '/v2/repository/index')
        return reply(JSON.stringify([{ name: 'tiny', version: '1', state: 'READY' }]));
      if (req.method !== 'POST') return reply(metadata);
      const index = record.readAtMs.push(now()) - 1;
      if (count++ === o.freezeAtRequest) {
        // A stop-the-world pause: nothing is read, answered or timed until it ends.
        record.freezeStartMs = now();
        const until = performance.now() + (o.freezeMs ?? 1000);
        while (performance.now() < until);
        record.freezeEndMs = now();
      }
      setTimeout(() => {
        reply(answer);
        record.answeredAtMs[index] = now();
      }, sampleMs(o));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  });
  process.stdin.resume();
  process.stdin.on('end', () => {
    if (o.recordTo) writeFileSync(o.recordTo, JSON.stringify(record));
    process.exit(0);
  });
}

if (process.argv[1] === self && process.argv[2] === '--serve') serve(JSON.parse(process.argv[3]!) as LogNormalOptions);
