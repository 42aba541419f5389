// `serve bench` against broken servers (loadtest, child processes): protocol errors are bad responses
// of a reachable server (exit 1, not 3), a run without one success never passes, a 2xx that is not
// an inference response is an error, and discovery gives up at --timeout.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { cliEntry } from '../helpers/paths.js';
import { startFakeServer } from './oip-server.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI, bounded by a 60 s kill. */
function serve(args: string[]): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliEntry, ...args], { env: { ...process.env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

const metadata = JSON.stringify({
  name: 'tiny',
  versions: ['1'],
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 3] }],
});
const http200 = (body: string) =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/**
 * A raw OIP v2 server: discovery (repository index, metadata) is answered properly, unless
 * `discovery` is false (then nothing is ever answered); each infer request is handed to `infer`
 * with its socket and a running count. Closes everything after the test.
 */
async function rawOipServer(
  t: TestContext,
  infer: (socket: net.Socket, nth: number) => void,
  discovery = true,
): Promise<string> {
  const sockets = new Set<net.Socket>();
  let inferCount = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const line = buffered.slice(0, buffered.indexOf('\r\n'));
        buffered = buffered.slice(end + 4 + length);
        if (!discovery) continue;
        if (line.startsWith('POST /v2/repository/index '))
          socket.write(http200(JSON.stringify([{ name: 'tiny', version: '1', state: 'READY' }])));
        else if (line.startsWith('GET /v2/models/tiny ')) socket.write(http200(metadata));
        else infer(socket, inferCount++);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const short = ['--rps', '20', '--duration', '1s', '--warmup', '0', '--json'];

interface Json {
  requests: { sent: number; ok: number; errors: number };
  errorsByClass: Record<string, number>;
  gates: { passed: boolean; checks: Array<{ metric: string; message: string }> };
}

test('garbage, a wrong Content-Length or oversized headers are bad responses: exit 1, not "failed to connect"', async (t) => {
  const answers = [
    (s: net.Socket) => s.end('SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n'),
    (s: net.Socket) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 900\r\n\r\n{"outputs":[]}'),
    (s: net.Socket) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{"outputs":[]}'),
    (s: net.Socket) => s.write(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(70 * 1024)}\r\ncontent-length: 2\r\n\r\n{}`),
    (s: net.Socket) => s.resetAndDestroy(),
  ];
  const url = await rawOipServer(t, (s, nth) => answers[nth % answers.length]!(s));
  const r = await serve(['bench', '--url', url, ...short]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const json = JSON.parse(r.stdout) as Json;
  assert.equal(json.requests.ok, 0);
  assert.deepEqual(json.errorsByClass, { bad_response: json.requests.sent });
  assert.doesNotMatch(r.stderr, /failed to connect/);
  assert.equal(json.gates.passed, false);
});

test('no targets and not one successful request: exit 1, the verdict says why', async () => {
  const server = await startFakeServer({ failStatus: 503 });
  try {
    const r = await serve(['bench', '--url', server.url, '--rps', '20', '--duration', '1s', '--warmup', '0']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /FAIL: no successful request \(20 sent, 20 failed\)/);
    assert.doesNotMatch(r.stdout, /PASS|nothing gated/);
  } finally {
    await server.close();
  }
});

test('a 200 whose body is not an inference response is a bad response by default', async (t) => {
  const url = await rawOipServer(t, (s, nth) =>
    s.write(http200(nth % 2 === 0 ? '{"status":"ok"}' : '<html>busy</html>')),
  );
  const r = await serve(['bench', '--url', url, ...short]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const json = JSON.parse(r.stdout) as Json;
  assert.deepEqual(json.errorsByClass, { bad_response: json.requests.sent });
  assert.deepEqual(
    json.gates.checks.map((c) => c.metric),
    ['successes'],
  );
});

test('discovery that never answers fails at --timeout with one line: exit 3', async (t) => {
  const url = await rawOipServer(t, () => {}, false);
  for (const [args, what] of [
    [[], 'POST /v2/repository/index'],
    [['--model', 'tiny'], 'GET /v2/models/tiny'],
  ] as const) {
    const r = await serve([
      'bench',
      '--url',
      url,
      ...args,
      '--timeout',
      '300ms',
      '--rps',
      '10',
      '--duration',
      '1s',
      '--warmup',
      '0',
    ]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.equal(
      r.stderr,
      `serve: error: no answer from ${url} to ${what} within 300ms (--timeout): is the server running and is --url right?\n`,
    );
    // Process start plus 300 ms; the old fixed discovery limit was 10 s.
    assert.ok(r.ms < 5000, `took ${r.ms} ms`);
  }
});

test('discovery answered with something that is not HTTP: --url is wrong, exit 2, one line', async (t) => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.end('SSH-2.0-OpenSSH_9.6\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const r = await serve(['bench', '--url', url, '--rps', '10', '--duration', '1s', '--warmup', '0']);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^serve: error: ${url} answered POST /v2/repository/index with something that is not HTTP/1\\.1 \\(.*\\): is --url an OIP v2 server\\?\n$`,
    ),
  );
});
