// A replica that freezes costs no request (the gateway in-process, two real `serve replica` processes
// of the demo model, each in its own process group): SIGSTOP closes no connection, so only the
// per-try timeout (try-timeout.ts) notices; requests at the frozen replica are resent to the other
// within their 1 s deadline, the frozen one is ejected and, on probation, ejected again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeDemoModel } from '../../src/model/demo.js';
import { gatewayFor, send } from './client.js';
import { replicaProcess } from './replica-process.js';

const infer = '/v2/models/cnn-lstm/infer';
const body = JSON.stringify({
  inputs: [{ name: 'x', shape: [1, 60, 16], datatype: 'FP32', data: new Array(960).fill(0.25) }],
});
const headers = { 'content-type': 'application/json' };

test('every process of a replica stopped (SIGSTOP) for 5 s under 100 req/s with a 1 s budget: no request fails', async (t) => {
  const registry = await mkdtemp(path.join(tmpdir(), 'serve-frozen-'));
  t.after(() => rm(registry, { recursive: true, force: true }));
  await writeDemoModel(registry);
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      process.kill(-c.pid!, 'SIGCONT');
      process.kill(-c.pid!, 'SIGKILL');
    }
  });
  const urls = await Promise.all(['r1', 'r2'].map((id) => replicaProcess(registry, id, children)));
  const gw = await gatewayFor(t, {
    replicas: urls.map((url, i) => ({ id: `r${i + 1}`, url, ready: true })),
    requestTimeoutMs: 1000,
    ejectForMs: 2000, // so the frozen replica comes back on probation (and is ejected again) while stopped
  });

  // A steady open loop at 100 req/s, bounded: every answer is counted by status, with its time.
  const statuses = new Map<number, number>();
  let slowestMs = 0;
  const pending: Promise<void>[] = [];
  const load = async (seconds: number) => {
    const t0 = performance.now();
    for (let k = 0; k < seconds * 100; k++) {
      const wait = t0 + k * 10 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(
        send(gw.url + infer, { body, headers }).then(
          (r) => {
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
            slowestMs = Math.max(slowestMs, r.ms);
          },
          () => {
            statuses.set(0, (statuses.get(0) ?? 0) + 1);
          },
        ),
      );
    }
  };
  await load(1.5); // both replicas learn their latency
  const frozen = children[0]!;
  process.kill(-frozen.pid!, 'SIGSTOP');
  const stoppedAt = performance.now();
  await load(5);
  process.kill(-frozen.pid!, 'SIGCONT');
  const stoppedMs = performance.now() - stoppedAt;
  await load(0.5);
  await Promise.all(pending);

  const text = await gw.metrics();
  const timeouts = Number(/^serve_gateway_retries_total\{reason="timeout"\} (\d+)/m.exec(text)?.[1] ?? 0);
  const report = `statuses ${JSON.stringify([...statuses])}, slowest ${slowestMs.toFixed(0)} ms, stopped ${stoppedMs.toFixed(0)} ms, try timeouts ${timeouts}, replicas ${JSON.stringify(gw.stats().replicas)}`;
  t.diagnostic(report);
  assert.deepEqual([...statuses.keys()], [200], report);
  assert.ok(timeouts >= 1, `no try at the frozen replica timed out, nothing was tested: ${report}`);
  assert.ok(gw.stats().replicas[0]!.ejections >= 2, `ejected, then again on probation: ${report}`);
});
