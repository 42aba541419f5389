// A trivial OIP v2 server in a child process for the load-generator benchmarks (bench): answers
// metadata and a fixed small infer response at once (or after a fixed delay), so the client is what
// is measured.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

const self = fileURLToPath(import.meta.url);
const metadata = JSON.stringify({
  name: 'echo',
  versions: ['1'],
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
});
const answer = JSON.stringify({
  model_name: 'echo',
  outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 1], data: [0.5] }],
});

/** A server child: `script --serve ARG` prints its URL as its first line and stops when stdin ends. */
export interface ServerChild {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `script --serve arg` (a bench server's own file) and resolves once it printed its URL. */
export async function startServerChild(script: string, arg: string): Promise<ServerChild> {
  const child = spawn(process.execPath, [script, '--serve', arg], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      child.stdin.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Starts the server in a child process (answers after `delayMs`); resolves with its URL, its pid and a stop function. */
export function startTrivialServer(o: { delayMs?: number } = {}): Promise<ServerChild> {
  return startServerChild(self, String(o.delayMs ?? 0));
}

if (process.argv[1] === self && process.argv[2] === '--serve') {
  const delayMs = Number(process.argv[3] ?? 0);
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const send = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(req.method === 'GET' ? metadata : answer);
      };
      if (delayMs > 0 && req.method !== 'GET') setTimeout(send, delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  });
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}
