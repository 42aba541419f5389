// gateway.keep_connections: false: the holder gets no copy of a connection, so one whose serving
// process is killed closes at once (the holder's test checks the copy that keeps it open by default).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { cliEntry } from '../helpers/paths.js';
import { fakesFor, inferBody, inferPath, waitFor } from './client.js';

test('with keep_connections false a killed serving process closes its connections', async (t) => {
  const [r0] = await fakesFor(t, { kind: 'ok', delayMs: 1 });
  const proc = spawn(process.execPath, [cliEntry, 'gateway', '--hold', '--settings-stdin', '--exit-with-parent'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.after(() => proc.kill('SIGKILL'));
  const settings = { host: '127.0.0.1', port: 0, keepConnections: false };
  proc.stdin.write(JSON.stringify({ type: 'settings', settings }) + '\n');
  proc.stdin.write(JSON.stringify({ type: 'replicas', replicas: [{ id: 'r0', url: r0!.url, ready: true }] }) + '\n');
  const events: Array<{ event: string; pid?: number; url?: string }> = [];
  let buf = '';
  proc.stdout.on('data', (c: Buffer) => {
    buf += c.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) if (l.startsWith('{"event"')) events.push(JSON.parse(l) as (typeof events)[number]);
  });
  await waitFor(() => events.some((e) => e.event === 'listening'), 15_000, 'listening');
  const { port } = new URL(events.find((e) => e.event === 'listening')!.url!);
  const sock = net.connect(Number(port), '127.0.0.1');
  await once(sock, 'connect');
  let received = '';
  sock.on('data', (c: Buffer) => (received += c.toString()));
  sock.on('error', () => undefined);
  const body = inferBody(1);
  sock.write(
    `POST ${inferPath} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  await waitFor(() => received.startsWith('HTTP/1.1 200'), 5000, 'the first answer');
  process.kill(events.find((e) => e.event === 'serving')!.pid!, 'SIGKILL');
  const closed = await Promise.race([
    once(sock, 'close').then(() => true),
    // Kept, it would stay open until the next process had it for request_timeout (1 s) without a request.
    new Promise<boolean>((r) => setTimeout(() => r(false), 800)),
  ]);
  assert.ok(closed, 'the connection closed with its process');
});
