// A real redis-server for the cache tests (test helper): started on a free loopback port without
// persistence, killed when the test ends.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { TestContext } from 'node:test';

/** A loopback port free now (the OS picks it). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Starts redis-server on `port` (no persistence) and resolves once it accepts connections. */
export async function startRedis(t: Pick<TestContext, 'after'>, port: number): Promise<ChildProcess> {
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 10_000;
  while (!out.includes('Ready to accept connections') && proc.exitCode === null) {
    if (Date.now() > deadline) assert.fail(`redis-server did not start within 10 s: ${out.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(proc.exitCode, null, `redis-server exited: ${out.slice(-500)}`);
  return proc;
}
