// Live reconfiguration through the admin API with a real replica (ONNX Runtime, real batching) and a
// real gateway: a batching change is applied between batches under load without a restart and
// without a failed request (the batches the replica reports grow past the old limit); a thread change
// replaces the replica one at a time, also without a failed request; bad changes are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Agent, request } from 'undici';
import { startCluster } from '../../src/cluster/controller/controller.js';
import { AdminClient } from '../../src/client/admin-client.js';
import { cliEntry } from '../helpers/paths.js';
import { tempWorld, testProfile, waitFor, watchedCluster } from './helpers.js';
import { demoBody } from './load.js';

/** Closed-loop load that records each answer's batch rows (Server-Timing `batch;desc=N`) and when it came. */
function batchLoad(url: string, workers: number, maxMs: number) {
  const agent = new Agent({ connections: workers, keepAliveTimeout: 5000 });
  const answers: Array<{ atMs: number; rows: number }> = [];
  const failures: string[] = [];
  const body = demoBody();
  let stopped = false;
  const deadline = Date.now() + maxMs;
  const worker = async () => {
    while (!stopped && Date.now() < deadline && answers.length + failures.length < 100_000) {
      try {
        const res = await request(url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
          dispatcher: agent,
        });
        const text = await res.body.text();
        const rows = /batch;desc=(\d+)/.exec(String(res.headers['server-timing'] ?? ''))?.[1];
        if (res.statusCode === 200) answers.push({ atMs: Date.now(), rows: Number(rows ?? 0) });
        else failures.push(`${res.statusCode} ${text.slice(0, 200)}`);
      } catch (err) {
        failures.push(`error ${(err as Error).message}`);
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, worker)).then(() => agent.close());
  return {
    answers,
    failures,
    async more(n: number): Promise<void> {
      const target = answers.length + n;
      await waitFor(
        `${n} more answers (${failures.length} failures)`,
        () => answers.length >= target || failures.length > 0,
        20_000,
        10,
      );
    },
    async stop(): Promise<void> {
      stopped = true;
      await done;
    },
  };
}

test('a live batching change under load: applied between batches, no restart, no failed request; threads roll; bad changes refused', async (t) => {
  const w = tempWorld();
  execFileSync(process.execPath, [cliEntry, 'model', 'demo', '--registry', w.registry], { stdio: 'ignore' });
  const { h: handle, status } = await watchedCluster(t, w, () =>
    startCluster(
      testProfile(w.registry, {
        model: { name: 'cnn-lstm', version: 1, registry: w.registry },
        replicas: { min: 1, max: 2, initial: 1 },
        resources: { cpus: 0.5 },
        batching: { maxBatchSize: 1, batchWaitMs: 0, maxQueuedRequests: 64 },
        health: { periodMs: 200, timeoutMs: 1000, failureThreshold: 3, startupTimeoutMs: 30_000 },
      }),
      { stateDir: w.stateDir },
    ),
  );
  const pids = () =>
    status()
      .replicas.filter((r) => r.state === 'ready')
      .map((r) => r.pid!);
  const [before] = pids();
  const admin = new AdminClient(w.stateDir, 60_000);
  const load = batchLoad(`${handle.gatewayUrl}/v2/models/cnn-lstm/infer`, 8, 40_000);

  await load.more(60);
  const requestedAt = Date.now();
  const result = await admin.reconfigure({ maxBatchSize: 8, batchWaitMs: 3 });
  const changedAt = Date.now();
  assert.deepEqual(result.applied, { maxBatchSize: 8, batchWaitMs: 3, threads: 1 });
  assert.equal(result.rolled, false);
  assert.deepEqual(
    result.replicas.map((r) => r.ok),
    [true],
    JSON.stringify(result.replicas),
  );
  await load.more(300);
  assert.deepEqual(pids(), [before], 'the replica was not restarted');

  const early = load.answers.filter((a) => a.atMs < requestedAt);
  const late = load.answers.filter((a) => a.atMs > changedAt + 200);
  assert.ok(
    early.length >= 50 && early.every((a) => a.rows === 1),
    `before the change every batch had 1 row: ${[...new Set(early.map((a) => a.rows))]}`,
  );
  assert.ok(
    late.some((a) => a.rows > 1),
    `after it, batches of more than 1 row: ${[...new Set(late.map((a) => a.rows))]}`,
  );
  assert.ok(
    late.every((a) => a.rows <= 8),
    'and never more than the new maxBatchSize',
  );

  await assert.rejects(admin.reconfigure({ device: 'cuda' } as never), /device cannot change on a running replica/);
  await assert.rejects(admin.reconfigure({ maxBatchSize: 0 }), /maxBatchSize: expected a whole number from 1 to 4096/);
  await assert.rejects(admin.reconfigure({ maxBatchSize: 100 }), /more than the replicas' queue/);

  const rolled = await admin.reconfigure({ threads: 2 });
  assert.equal(rolled.rolled, true);
  await waitFor('one ready replica again', () => pids().length === 1);
  assert.notEqual(pids()[0], before, 'a thread change replaced the replica');
  await load.more(100);
  await load.stop();
  assert.deepEqual(load.failures, [], 'no request failed');
});
