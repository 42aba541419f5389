// The exported Ray Serve module's own request handling, run by python3 (with numpy) against small
// stand-ins for Ray, FastAPI and ONNX Runtime (ray_module_harness.py): OIP v2 answers, the
// normalization from model.yaml, 400/404 errors and user_config's batch size. Ray itself cannot be
// installed here (not on the npm registry or in Debian), so this is as close as a test gets.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { RAY_MODULE_FILE } from '../../src/export/ray-module.js';
import { repoRoot } from '../helpers/paths.js';
import { needTool } from '../helpers/tools.js';
import { makeFixture, plan, text, type Fixture } from './fixtures.js';

let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(async () => {
  await f.cleanup();
});

type Answer = { ok?: any; status?: number; error?: string };

test('the Ray module answers OIP v2 as serve\'s replica does, and refuses bad requests with 400/404 and {"error"}', async (t) => {
  if (!needTool(t, 'python3', 'python3')) return;
  // numpy comes from Debian's python3-numpy, which .ci/run installs: without it only py_compile runs (ray.test.ts).
  if (!needTool(t, 'python3', 'python3-numpy', ['-c', 'import numpy'])) return;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-export-harness-'));
  try {
    const module = path.join(dir, RAY_MODULE_FILE);
    await writeFile(module, text(plan(f, 'market-hours', 'ray'), RAY_MODULE_FILE));
    const r = spawnSync('python3', [path.join(repoRoot, 'test/export/ray_module_harness.py'), module], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, Answer> & { providers: string[] };
    assert.deepEqual(out.providers, ['CPUExecutionProvider']);
    assert.deepEqual(out.metadata!.ok.inputs, f.model.spec.inputs);
    assert.deepEqual(out.index!.ok, [{ name: 'cnn-lstm', version: '1', state: 'READY' }]);
    assert.deepEqual(out.live!.ok, { live: true });
    const infer = out.infer!.ok;
    assert.equal(infer.model_name, 'cnn-lstm');
    assert.equal(infer.id, 'r1');
    assert.deepEqual(
      infer.outputs.map((o: { name: string; datatype: string; shape: number[] }) => [o.name, o.datatype, o.shape]),
      [['probs', 'FP32', [2, 3]]],
    );
    // Every row was the normalization's mean: normalized, every value the session saw was 0.
    assert.ok(
      infer.outputs[0].data.every((v: number) => Math.abs(v) < 1e-5),
      JSON.stringify(infer.outputs[0].data),
    );
    assert.deepEqual(out.infer_version!.ok.outputs[0].shape, [1, 3]);
    const refused: Array<[string, number, RegExp]> = [
      ['wrong_model', 404, /model "other" is not served here/],
      ['wrong_version', 404, /version "99" is not served here/],
      ['wrong_shape', 400, /shape \[2, 5\] given, the model takes \[-1, 60, 16\]/],
      ['wrong_datatype', 400, /datatype INT64 given, the model takes FP32/],
      ['too_few_values', 400, /1 values given/],
      ['nan', 400, /NaN and Infinity are refused/],
      ['not_json', 400, /not valid JSON/],
      ['missing_input', 400, /input "x" is missing/],
      ['unknown_output', 400, /unknown output "nope"/],
      ['binary', 400, /binary tensor extension is not supported/],
      ['too_many_rows', 400, /33 rows given, from 1 to 32/],
      ['rows_after_reconfigure', 400, /3 rows given, from 1 to 2/],
    ];
    for (const [key, status, message] of refused) {
      assert.equal(out[key]!.status, status, `${key}: ${JSON.stringify(out[key])}`);
      assert.match(out[key]!.error!, message, key);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
