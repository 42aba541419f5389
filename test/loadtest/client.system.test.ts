// The load client's time limit (loadtest, real loopback sockets): --timeout bounds the whole request,
// from send to the end of the response, whether the time goes on connecting, waiting or reading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needTool } from '../helpers/tools.js';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { InferClient } from '../../src/loadtest/client.js';

const payload = { body: Buffer.from('{"inputs":[]}'), headers: { 'content-type': 'application/json' } };

/** Time one send takes and its outcome. */
async function timed(client: InferClient) {
  const t0 = performance.now();
  const outcome = await client.send(payload);
  return { outcome, ms: performance.now() - t0 };
}

test('a body trickling in slower than the limit is a timeout at the limit, not an answer much later', async (t) => {
  // Headers at once, then a byte every 50 ms for 2 s: undici's idle timers (headers, body) never
  // fire, so only a total limit stops it.
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    let left = 40;
    const t = setInterval(() => {
      if (--left <= 0 || res.destroyed) {
        clearInterval(t);
        timers.delete(t);
        return void res.end(' ');
      }
      res.write(' ');
    }, 50);
    timers.add(t);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new InferClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, '/v2/models/m', {
    connections: 2,
    timeoutMs: 300,
  });
  t.after(async () => {
    await client.close();
    for (const x of timers) clearInterval(x);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { outcome, ms } = await timed(client);
  assert.deepEqual(outcome, { ok: false, errorClass: 'timeout' });
  // 300 ms plus scheduling noise; the whole trickle would take 2000 ms.
  assert.ok(ms >= 290 && ms < 1500, `took ${ms} ms`);
  // The connection was given up, not left stuck: the next request gets one and times out the same way.
  const again = await timed(client);
  assert.deepEqual(again.outcome, { ok: false, errorClass: 'timeout' });
  assert.ok(again.ms < 1500, `second request took ${again.ms} ms`);
});

test('a host that never accepts the connection fails at the limit, as a connection failure', async (t) => {
  // A listening socket whose accept queue is full: the kernel drops further SYNs, so connecting
  // hangs (undici's own connect timeout would be 10 s). Node always accepts, hence python.
  if (!needTool(t, 'python3', 'python3')) return;
  const py = spawn('python3', [
    '-c',
    "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(0); print(s.getsockname()[1], flush=True); time.sleep(60)",
  ]);
  const fillers: net.Socket[] = [];
  t.after(() => {
    for (const s of fillers) s.destroy();
    py.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve, reject) => {
    py.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    py.once('error', reject);
  });
  for (let i = 0; i < 3; i++) fillers.push(net.connect(port, '127.0.0.1').on('error', () => {}));
  await new Promise((r) => setTimeout(r, 200));
  const client = new InferClient(`http://127.0.0.1:${port}`, '/v2/models/m', { connections: 1, timeoutMs: 100 });
  t.after(() => client.close());
  const { outcome, ms } = await timed(client);
  // Still connecting at the limit: the server was never reached, which is not a slow answer.
  assert.deepEqual(outcome, { ok: false, errorClass: 'connection' });
  assert.ok(ms >= 95 && ms < 1000, `took ${ms} ms`);
});
