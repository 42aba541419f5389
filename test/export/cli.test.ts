// `serve export` as a user runs it: on a fresh folder it builds the demo model, writes the files
// it lists in --json with the warnings, and refuses bad flags with one line and exit code 2.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { serve } from '../e2e/cli-run.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'serve-export-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('serve export --json writes what it lists, with the warnings, on a folder without a model registry', async () => {
  const r = await serve(['export', '--profile', 'trading-day', '--to', 'kserve', '--out', 'out', '--json'], {
    cwd: dir,
    env: { SERVE_MODELS: '' },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /built the demo model cnn-lstm@1/);
  const report = JSON.parse(r.stdout) as {
    target: string;
    profile: string;
    model: string;
    files: Array<{ path: string; bytes: number }>;
    warnings: Array<{ field: string; message: string }>;
  };
  assert.equal(report.target, 'kserve');
  assert.equal(report.profile, 'trading-day');
  assert.equal(report.model, 'cnn-lstm@1');
  assert.deepEqual(report.files.map((f) => f.path).sort(), [
    'inferenceservice.yaml',
    'model-repository/cnn-lstm/1/model.onnx',
    'model-repository/cnn-lstm/config.pbtxt',
    'scaledobject.yaml',
  ]);
  for (const f of report.files) assert.equal(readFileSync(path.join(dir, 'out', f.path)).length, f.bytes, f.path);
  assert.ok(report.warnings.some((w) => w.field === 'schedule.closed_dates'));
  assert.ok(report.warnings.every((w) => w.field.length > 0 && w.message.length > 0));
});

test('serve export prints the files and what did not carry over', async () => {
  const r = await serve(['export', '--profile', 'local', '--to', 'ray', '--out', 'ray'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Wrote 3 files for ray to .*ray \(local, cnn-lstm@1\):/);
  assert.match(r.stdout, /serve_oip\.py/);
  assert.match(
    r.stdout,
    /Did not carry over \(\d+\):\n(.*\n)* {2}gateway\.host: Ray's proxies will listen on 127\.0\.0\.1 only/,
  );
  assert.ok(existsSync(path.join(dir, 'ray', 'models', 'cnn-lstm', '1', 'model.onnx')));
});

test('bad flags are one line and exit code 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--to', 'tfserving', '--out', 'x'], /argument 'tfserving' is invalid. Allowed choices are triton, kserve, ray/],
    [['--to', 'ray', '--out', 'x', '--storage-uri', 's3://b/m'], /--storage-uri is only for --to kserve/],
    [
      ['--to', 'kserve', '--out', 'x', '--storage-uri', 'bucket/models'],
      /--storage-uri must be a URI such as s3:\/\/bucket\/models/,
    ],
    [['--to', 'triton'], /required option '--out <dir>' not specified/],
  ];
  for (const [args, message] of cases) {
    const r = await serve(['export', '--profile', 'local', ...args], { cwd: dir });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  }
});
