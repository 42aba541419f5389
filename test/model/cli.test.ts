// `serve model demo|list|inspect` driven as a user would, through the compiled CLI (cli + model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cliEntry } from '../helpers/paths.js';
import { buildDemoModel } from '../../src/model/demo.js';
import { tempRegistry } from './tmp.js';

function serve(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliEntry, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SERVE_DEBUG: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineError(r: ReturnType<typeof serve>, re: RegExp): void {
  assert.equal(r.code, 2, `exit code 2; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, re);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('model demo writes the same bytes as the in-process builder, and is idempotent', async (t) => {
  const reg = await tempRegistry(t);
  const first = serve('model', 'demo', '--registry', reg);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^Wrote .*cnn-lstm[/\\]1 /);
  const onnx = await readFile(path.join(reg, 'cnn-lstm', '1', 'model.onnx'));
  const built = buildDemoModel();
  assert.equal(Buffer.compare(onnx, Buffer.from(built.onnx)), 0, 'a separate process builds identical bytes');
  assert.equal(await readFile(path.join(reg, 'cnn-lstm', '1', 'model.yaml'), 'utf8'), built.yaml);
  const again = serve('model', 'demo', '--registry', reg);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /^Unchanged/);
  assertOneLineError(
    serve('model', 'demo', '--registry', reg, '--hidden', '8'),
    /already holds a different model: pass --force/,
  );
  const forced = serve('model', 'demo', '--registry', reg, '--hidden', '8', '--force', '--json');
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(JSON.parse(forced.stdout).status, 'overwritten');
});

test('model list and inspect show the registry, as a table and as JSON', async (t) => {
  const reg = await tempRegistry(t);
  assert.equal(serve('model', 'demo', '--registry', reg).code, 0);
  assert.equal(serve('model', 'demo', '--registry', reg, '--name', 'cnn-lstm@2', '--layers', '2').code, 0);
  const table = serve('model', 'list', '--registry', reg);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /cnn-lstm +2 \(latest\)/);
  const rows = JSON.parse(serve('model', 'list', '--registry', reg, '--json').stdout);
  assert.deepEqual(
    rows.map((r: { version: number; latest: boolean }) => [r.version, r.latest]),
    [
      [1, false],
      [2, true],
    ],
  );

  const text = serve('model', 'inspect', 'cnn-lstm', '--registry', reg);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^cnn-lstm@2 /);
  assert.match(text.stdout, /opset ai\.onnx 17/);
  assert.match(text.stdout, /LSTM 2/);
  assert.match(text.stdout, /check: +ok/);
  const json = JSON.parse(serve('model', 'inspect', 'cnn-lstm@1', '--registry', reg, '--json').stdout);
  assert.equal(json.model.version, 1);
  assert.deepEqual(json.onnx.inputs, [{ name: 'x', datatype: 'FP32', shape: ['batch', 60, 16] }]);
  assert.equal(json.check.ok, true);
});

test('inspect exits 2 on a mismatch; errors are one line with exit code 2', async (t) => {
  const reg = await tempRegistry(t);
  assert.equal(serve('model', 'demo', '--registry', reg, '--no-normalize').code, 0);
  const yamlPath = path.join(reg, 'cnn-lstm', '1', 'model.yaml');
  await writeFile(yamlPath, (await readFile(yamlPath, 'utf8')).replace('[-1, 60, 16]', '[-1, 60, 15]'));
  const mismatch = serve('model', 'inspect', 'cnn-lstm', '--registry', reg);
  assert.equal(mismatch.code, 2);
  assert.match(mismatch.stdout, /check: +FAILED\n.*dim 2: model\.yaml says 15, model\.onnx says 16/);

  assertOneLineError(
    serve('model', 'inspect', 'nope', '--registry', reg),
    /^serve: error: model "nope" is not in registry .*known models: cnn-lstm/,
  );
  assertOneLineError(
    serve('model', 'list', '--registry', path.join(reg, 'missing')),
    /registry ".*missing" does not exist/,
  );
  assertOneLineError(
    serve('model', 'demo', '--registry', reg, '--layers', '0'),
    /--layers must be a whole number from 1/,
  );
  const badFlag = serve('model', 'demo', '--registry', reg, '--window', 'ten');
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /--window expects a whole number/);
});

test('model --help lists the subcommands with examples', () => {
  const r = serve('model', '--help');
  assert.equal(r.code, 0);
  for (const s of ['demo', 'list', 'inspect', 'Examples:', 'serve model inspect cnn-lstm@latest'])
    assert.ok(r.stdout.includes(s), s);
  const demo = serve('model', 'demo', '--help');
  for (const s of ['--registry <dir>', '--channels <n>', '--layers <n>', '--force', 'Examples:'])
    assert.ok(demo.stdout.includes(s), s);
});
