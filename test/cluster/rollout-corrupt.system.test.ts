// A rollout of a corrupt model (a registry version whose model.onnx is not ONNX) with a real replica:
// it rolls back before any traffic moves, and both `serve rollout`'s output and `serve rollout
// status` name the replica's own error (ONNX Runtime's "Protobuf parsing failed"), not its state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { startCluster } from '../../src/cluster/controller/controller.js';
import type { RolloutStatus } from '../../src/common/rollout.js';
import { cliEntry } from '../helpers/paths.js';
import { tempWorld, testProfile, watchedCluster } from './helpers.js';

function serve(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliEntry, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : -1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test("a rollout of a corrupt model.onnx reports the replica's own error line", async (t) => {
  const w = tempWorld();
  execFileSync(process.execPath, [cliEntry, 'model', 'demo', '--registry', w.registry], { stdio: 'ignore' });
  const versions = path.join(w.registry, 'cnn-lstm');
  cpSync(path.join(versions, '1'), path.join(versions, '2'), { recursive: true });
  writeFileSync(path.join(versions, '2', 'model.onnx'), 'this is not an ONNX model\n');
  const { h } = await watchedCluster(t, w, () =>
    startCluster(
      testProfile(w.registry, {
        model: { name: 'cnn-lstm', version: 1, registry: w.registry },
        replicas: { min: 1, max: 1, initial: 1 },
        resources: { cpus: 0.5 },
        health: { periodMs: 200, timeoutMs: 1000, failureThreshold: 3, startupTimeoutMs: 30_000 },
      }),
      { stateDir: w.stateDir },
    ),
  );

  const r = await serve([
    'rollout',
    'cnn-lstm@2',
    '--steps',
    '100%',
    '--step-time',
    '1s',
    '--json',
    '--state-dir',
    w.stateDir,
  ]);
  assert.equal(r.code, 1, r.stderr);
  const final = JSON.parse(r.stdout) as RolloutStatus;
  assert.equal(final.phase, 'rolled-back');
  assert.match(
    final.reason!,
    /^version 2's replica-\d+ did not start: model cnn-lstm@2 could not be loaded: Load model from .*model\.onnx failed:Protobuf parsing failed\. /,
  );
  assert.match(
    r.stderr,
    /did not start: model cnn-lstm@2 could not be loaded: Load model from .* failed:Protobuf parsing failed/,
    'the progress lines name it',
  );

  const status = await serve(['rollout', 'status', '--state-dir', w.stateDir]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(
    status.stdout,
    /reason: version 2's replica-\d+ did not start: model cnn-lstm@2 could not be loaded: Load model from .* failed:Protobuf parsing failed\./,
  );
  assert.equal(h.status().model.version, 1);
});
