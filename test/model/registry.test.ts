// Model registry: resolving name/name@N/name@latest, listing, and one clear error for each way a
// registry can be wrong (model plane).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../src/common/errors.js';
import { writeDemoModel } from '../../src/model/demo.js';
import { listModels, parseModelRef, resolveModel } from '../../src/model/registry.js';
import { tempRegistry } from './tmp.js';

/** Asserts `fn` rejects with a one-line UserError matching `re`. */
async function rejectsUser(fn: () => Promise<unknown>, re: RegExp): Promise<UserError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof UserError, `expected UserError, got ${String(err)}`);
    assert.match(err.message, re);
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
    return err;
  }
  assert.fail(`expected a rejection matching ${re}`);
}

test('parseModelRef accepts name, name@N, name@latest and rejects the rest', () => {
  assert.deepEqual(parseModelRef('cnn-lstm'), { name: 'cnn-lstm' });
  assert.deepEqual(parseModelRef('cnn-lstm@latest'), { name: 'cnn-lstm' });
  assert.deepEqual(parseModelRef('cnn-lstm@12'), { name: 'cnn-lstm', version: 12 });
  assert.throws(() => parseModelRef('cnn-lstm@x'), /bad model version in "cnn-lstm@x"/);
  assert.throws(() => parseModelRef('../up'), /bad model reference/);
  assert.throws(() => parseModelRef(''), /bad model reference/);
});

test('latest resolves to the highest version; explicit versions resolve exactly', async (t) => {
  const reg = await tempRegistry(t);
  await writeDemoModel(reg, { version: 2 });
  await writeDemoModel(reg, { version: 10, hidden: 16 });
  await writeDemoModel(reg, { version: 9 });
  for (const ref of ['cnn-lstm', 'cnn-lstm@latest']) {
    const m = await resolveModel(reg, ref);
    assert.equal(m.version, 10, ref);
    assert.equal(m.onnxPath, path.join(reg, 'cnn-lstm', '10', 'model.onnx'));
  }
  const two = await resolveModel(reg, 'cnn-lstm@2');
  assert.equal(two.version, 2);
  assert.equal(two.spec.version, 2);
  assert.equal(two.spec.name, 'cnn-lstm');
  assert.deepEqual(two.spec.inputs[0], { name: 'x', datatype: 'FP32', shape: [-1, 60, 16] });
});

test('missing registry, unknown model, missing version and missing files are one clear line each', async (t) => {
  const reg = await tempRegistry(t);
  await rejectsUser(
    () => resolveModel(path.join(reg, 'nope'), 'cnn-lstm'),
    /model registry ".*nope" does not exist.*--registry/,
  );
  await rejectsUser(() => resolveModel(reg, 'cnn-lstm'), /model "cnn-lstm" is not in registry .*empty/);
  await writeDemoModel(reg, { version: 1 });
  await writeDemoModel(reg, { name: 'other', version: 4 });
  await rejectsUser(
    () => resolveModel(reg, 'missing'),
    /model "missing" is not in registry .*known models: cnn-lstm, other/,
  );
  await rejectsUser(() => resolveModel(reg, 'other@3'), /model "other" has no version 3 .*versions: 4/);
  await mkdir(path.join(reg, 'empty'));
  await rejectsUser(() => resolveModel(reg, 'empty'), /model "empty" .* has no version folders/);
  await rm(path.join(reg, 'other', '4', 'model.onnx'));
  await rejectsUser(() => resolveModel(reg, 'other'), /other[/\\]4[/\\]model\.onnx is missing/);
  await rm(path.join(reg, 'cnn-lstm', '1', 'model.yaml'));
  await rejectsUser(() => resolveModel(reg, 'cnn-lstm@1'), /model\.yaml is missing/);
});

test('a bad model.yaml names the file, line and field', async (t) => {
  const reg = await tempRegistry(t);
  const m = await writeDemoModel(reg);
  const yamlPath = m.yamlPath;
  const good = await readFile(yamlPath, 'utf8');

  await writeFile(
    yamlPath,
    good.replace('datatype: FP32\n    shape: [-1, 60, 16]', 'datatype: FP33\n    shape: [-1, 60, 16]'),
  );
  const err = await rejectsUser(
    () => resolveModel(reg, 'cnn-lstm'),
    /model\.yaml:\d+:\d+: field "inputs\[0\]\.datatype": needs "datatype", one of .*FP32/,
  );
  const line = Number(/model\.yaml:(\d+):/.exec(err.message)![1]);
  assert.equal(good.split('\n')[line - 1]?.trim(), 'datatype: FP32', 'the line number points at the field');

  await writeFile(
    yamlPath,
    good.replace('shape: [-1, 3]', 'shape: [-1, 0]').replace('name: cnn-lstm', 'name: other').concat('extra: 1\n'),
  );
  const many = await rejectsUser(() => resolveModel(reg, 'cnn-lstm'), /model\.yaml: 3 problems in model\.yaml/);
  const details = many.details.join('\n');
  assert.match(details, /field "name": is "other" but the folder says "cnn-lstm"/);
  assert.match(details, /field "outputs\[0\]\.shape": needs "shape"/);
  assert.match(details, /field "extra": unknown field/);

  await writeFile(yamlPath, good.replace(/mean: \[[^\]]*\]/, 'mean: [1, 2]'));
  await rejectsUser(
    () => resolveModel(reg, 'cnn-lstm'),
    /field "preprocessing\.normalize\.mean": has 2 values but input "x" has 16 features/,
  );

  await writeFile(yamlPath, 'inputs: [unclosed\n');
  await rejectsUser(() => resolveModel(reg, 'cnn-lstm'), /model\.yaml:\d+:\d+: model\.yaml is not valid YAML/);

  await writeFile(yamlPath, 'description: only\n');
  await rejectsUser(() => resolveModel(reg, 'cnn-lstm'), /2 problems/);
});

test('listModels lists every version and keeps broken ones with their reason', async (t) => {
  const reg = await tempRegistry(t);
  await writeDemoModel(reg, { version: 1 });
  await writeDemoModel(reg, { version: 2 });
  await writeDemoModel(reg, { name: 'alpha', version: 1 });
  await writeFile(path.join(reg, 'cnn-lstm', '2', 'model.yaml'), 'inputs: 3\n');
  await mkdir(path.join(reg, 'cnn-lstm', 'not-a-version'));
  const entries = await listModels(reg);
  assert.deepEqual(
    entries.map((e) => `${e.name}@${e.version}:${e.ok}`),
    ['alpha@1:true', 'cnn-lstm@1:true', 'cnn-lstm@2:false'],
  );
  const broken = entries[2]!;
  assert.ok(!broken.ok && /model\.yaml/.test(broken.error));
});
