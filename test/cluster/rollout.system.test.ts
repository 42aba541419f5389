// `serve rollout` end to end with real replicas (ONNX Runtime, the demo model), the real gateway and
// real HTTP under steady load: a good version (a copy of version 1) is warmed, judged with
// intervals, completes with no failed request and then serves everything; a slow version (a larger variant of the demo model, about
// 50x the compute) is rolled back by the judge during its first step, before the step ends, also
// without a failed request, and the cluster stays on the good version; Ctrl-C of `serve rollout` rolls back too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { execFile, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { Agent, request } from 'undici';
import { startCluster, type ClusterHandle } from '../../src/cluster/controller/controller.js';
import type { RolloutStatus } from '../../src/common/rollout.js';
import { cliEntry } from '../helpers/paths.js';
import { tempWorld, testProfile, waitFor } from './helpers.js';
import { demoBody } from './load.js';

/** Closed-loop load counting answers by X-Model-Version, and every failure. */
function versionLoad(url: string, workers: number, maxMs: number) {
  const agent = new Agent({ connections: workers, keepAliveTimeout: 5000 });
  const byVersion = new Map<string, number>();
  const failures: string[] = [];
  let ok = 0;
  let stopped = false;
  const body = demoBody();
  const deadline = Date.now() + maxMs;
  const worker = async () => {
    while (!stopped && Date.now() < deadline && ok + failures.length < 200_000) {
      try {
        const res = await request(url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
          dispatcher: agent,
        });
        const text = await res.body.text();
        if (res.statusCode !== 200) failures.push(`${res.statusCode} ${text.slice(0, 200)}`);
        else {
          ok++;
          const v = String(res.headers['x-model-version'] ?? 'none');
          byVersion.set(v, (byVersion.get(v) ?? 0) + 1);
        }
      } catch (err) {
        failures.push(`error ${(err as Error).message}`);
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, worker)).then(() => agent.close());
  return {
    byVersion,
    failures,
    /** Counts by version from now on. */
    reset: () => byVersion.clear(),
    get ok() {
      return ok;
    },
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** Runs `serve rollout` as a user would; resolves with its exit code, final JSON and stderr. */
function rolloutCli(
  stateDir: string,
  args: string[],
): Promise<{ code: number; result: RolloutStatus; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cliEntry, 'rollout', ...args, '--json', '--state-dir', stateDir],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : -1
          : 0;
        try {
          resolve({ code, result: JSON.parse(stdout) as RolloutStatus, stderr });
        } catch {
          reject(new Error(`serve rollout exited ${code} with no JSON: ${stdout}\n${stderr}`));
        }
      },
    );
  });
}

test('rollout under load: a good version completes, a slow one is rolled back within its first step; no request fails', async (t) => {
  const w = tempWorld();
  execFileSync(process.execPath, [cliEntry, 'model', 'demo', '--registry', w.registry], { stdio: 'ignore' });
  const versions = path.join(w.registry, 'cnn-lstm');
  cpSync(path.join(versions, '1'), path.join(versions, '2'), { recursive: true });
  // Same inputs and outputs, LSTM hidden 512 in 2 layers instead of 64 in 1: ~9 ms a row instead of ~0.2 ms.
  execFileSync(
    process.execPath,
    [cliEntry, 'model', 'demo', '--registry', w.registry, '--name', 'cnn-lstm@3', '--hidden', '512', '--layers', '2'],
    { stdio: 'ignore' },
  );
  let h: ClusterHandle | undefined;
  let load: ReturnType<typeof versionLoad> | undefined;
  t.after(async () => {
    await load?.stop();
    await h?.stop();
    w.cleanup();
  });
  h = await startCluster(
    testProfile(w.registry, {
      model: { name: 'cnn-lstm', version: 1, registry: w.registry },
      replicas: { min: 1, max: 2, initial: 2 },
      resources: { cpus: 0.5 },
      batching: { maxBatchSize: 4, batchWaitMs: 1, maxQueuedRequests: 64 },
      health: { periodMs: 200, timeoutMs: 1000, failureThreshold: 3, startupTimeoutMs: 30_000 },
      slo: { p99Ms: 1000 },
    }),
    { stateDir: w.stateDir },
  );
  const handle = h;
  load = versionLoad(`${handle.gatewayUrl}/v2/models/cnn-lstm/infer`, 4, 60_000);
  await waitFor('load flowing', () => load!.ok > 50, 10_000);

  // An identical copy completes at the default --max-regression (20%): its replicas are warmed first,
  // and each step is judged by the ratio's interval over the same windows, so noise alone is "not
  // yet" (the step runs on), never a rollback.
  const good = await rolloutCli(w.stateDir, ['cnn-lstm@2', '--steps', '50%,100%', '--step-time', '2s']);
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.result.phase, 'completed');
  assert.match(good.result.decisions.find((d) => d.kind === 'warmup')!.message, /^warmed 2 replicas of version 2: /);
  assert.deepEqual(
    good.result.decisions.filter((d) => d.kind === 'passed').map((d) => d.step),
    [1, 2],
  );
  const step1 = good.result.decisions.find((d) => d.kind === 'passed' && d.step === 1)!;
  assert.ok(step1.figures!.new.count > 20 && step1.figures!.old.count > 20, JSON.stringify(step1.figures));
  // Judged with intervals: the p50 ratio passes (its interval within 1.20, or its difference within the
  // 5 ms floor at that bound), the interval holds the estimate, and the line says so.
  const p50 = step1.judgement!.calls.find((c) => c.figure === 'p50' && c.against === 'old')!;
  assert.ok(p50.outcome === 'pass' && p50.low <= p50.estimate && p50.estimate <= p50.high, JSON.stringify(p50));
  assert.match(
    step1.message,
    /p50 \d\.\d\dx \[\d\.\d\d, \d\.\d\d\] \(\+?-?\d+\.\d+ ms on \d+\.\d+ ms, floor 5 ms\), allowed 1\.20/,
  );
  assert.match(good.stderr, /step 1\/2: 50% of traffic to version 2/);
  // The old replicas drain; the cluster's version is 2 and every answer says so.
  await waitFor(
    'only version 2 replicas',
    () => handle.status().replicas.every((r) => r.version === 2 && r.state === 'ready'),
    15_000,
  );
  assert.equal(handle.status().model.version, 2);
  load.reset();
  await waitFor(
    'answers after the rollout',
    () => load!.ok > 0 && [...load!.byVersion.values()].reduce((a, b) => a + b, 0) > 30,
    10_000,
  );
  assert.deepEqual([...load.byVersion.keys()], ['2']);
  assert.deepEqual(load.failures, []);

  load.reset();
  const slow = await rolloutCli(w.stateDir, ['cnn-lstm@3', '--steps', '50%,100%', '--step-time', '6s']);
  assert.equal(slow.code, 1, slow.stderr);
  assert.equal(slow.result.phase, 'rolled-back');
  assert.equal(slow.result.step, 1, 'rolled back in the first step');
  assert.match(slow.result.reason!, /p50 \d+\.\d\dx \[\d+\.\d\d, \d+\.\d\d\] \([^)]*\), allowed 1\.20: FAIL/);
  const missed = slow.result.decisions.find((d) => d.kind === 'rollback' && d.figures)!;
  // 50x slower is plain long before the step ends: the judge looks during the step (at 99%) and rolls back early.
  assert.match(missed.message, /^step 1 missed after [0-5]\.\d s of 6 s: /);
  assert.ok(missed.figures!.new.p50Ms! > missed.figures!.old.p50Ms! + 5, JSON.stringify(missed.figures));
  assert.ok((load.byVersion.get('3') ?? 0) > 0, 'version 3 answered during its step');
  await waitFor('version 3 drained', () => handle.status().replicas.every((r) => r.version === 2), 15_000);
  assert.equal(handle.status().model.version, 2);
  assert.equal(handle.status().rollout!.phase, 'rolled-back');

  // Ctrl-C of `serve rollout` during a step rolls back (version 1 again, a long step that never ends).
  const cli = spawn(process.execPath, [
    cliEntry,
    'rollout',
    'cnn-lstm@1',
    '--steps',
    '50%,100%',
    '--step-time',
    '60s',
    '--state-dir',
    w.stateDir,
  ]);
  let stderr = '';
  cli.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
  await waitFor('step 1 of the rollout to version 1', () => /step 1\/2: 50% of traffic/.test(stderr), 20_000);
  cli.kill('SIGINT');
  assert.equal(await exited, 1, stderr);
  assert.match(stderr, /interrupted: rolling back/);
  const after = handle.status();
  assert.deepEqual(
    [after.rollout!.phase, after.rollout!.reason, after.model.version],
    ['rolled-back', 'interrupted: Ctrl-C of serve rollout', 2],
  );
  await waitFor('version 1 drained', () => handle.status().replicas.every((r) => r.version === 2), 15_000);
  await load.stop();
  assert.deepEqual(load.failures, []);
  t.diagnostic(
    `good: ${good.result.decisions
      .filter((d) => d.figures)
      .map((d) => d.message)
      .join(' | ')}`,
  );
  t.diagnostic(`slow: ${missed.message}`);
});
