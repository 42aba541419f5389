// `serve tune` as a user runs it, on the demo model with real replicas, a small grid and short
// windows: the profile it writes keeps the original's comments and replicas.min (the capacity
// guard), validates and starts; a target no configuration can meet exits 1 naming the closest
// candidate and what it missed; Ctrl-C in the middle of the search leaves no process behind and
// still writes the best found so far (--write-anyway); --attach hands a running cluster back
// unpinned with its profile's settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive } from '../../src/common/process.js';
import type { TuneReport } from '../../src/tune/types.js';
import { laps } from '../helpers/laps.js';
import { serve, serveBin } from '../e2e/cli-run.js';
import { addDemoModel, killAll, waitFor } from '../cluster/helpers.js';

const PROFILE = `# A profile for the tune tests: the demo model, one small replica.
name: tunetest
model:
  name: cnn-lstm
  registry: ./models   # built by serve tune when missing
replicas: { min: 1, max: 2, initial: 1 }
resources: { cpus: 1, memory: 1GiB }
batching:
  max_batch_size: 8    # where the search starts
  batch_wait_timeout: 0ms
runtime: { device: cpu, threads: 1 }
health: { period: 200ms, timeout: 150ms, startup_timeout: 30s }
gateway: { port: 0, request_timeout: 2s }
drain_timeout: 2s
slo:
  p99: 400ms
  error_rate: 1%
  throughput: { target: 40 }
`;

/**
 * The exit code a decision maps to. These windows are short (300 ms) so that the tests are, and on a
 * loaded machine they are often unstable: the run is then inconclusive (4), which these tests accept
 * (what they check is the cluster and the files; write-safety.test.ts checks the decision).
 */
const codeOf = (decision: string) => (decision === 'decided' ? 0 : 4);

const FAST = ['--window', '300ms', '--warmup', '200ms', '--max-windows', '4', '--threads', '1'];

/**
 * A temp working folder with the profile (and TMPDIR inside it, where tune keeps its cluster);
 * removed after. With `model`, ./models holds the demo model already (one build for the file): only
 * the first test sees tune build it.
 */
function world(t: { after(fn: () => unknown): void }, profile = PROFILE, o: { model?: boolean } = {}) {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'serve-tune-test-'));
  const tmp = path.join(cwd, 'tmp');
  mkdirSync(tmp);
  writeFileSync(path.join(cwd, 'p.yaml'), profile);
  if (o.model) addDemoModel(path.join(cwd, 'models'));
  t.after(() => {
    // Everything started from this folder: tune's own clusters in tmp, and a cluster a test started
    // with --state-dir here whose `serve down` hook (registered later, so run later) is too late.
    killAll(pidsUnder(cwd));
    rmSync(cwd, { recursive: true, force: true });
  });
  return { cwd, tmp, env: { TMPDIR: tmp, CI: '1' } };
}

/** The folders serve tune made in `tmp` (other libraries may leave their own files there). */
function tuneDirs(tmp: string): string[] {
  return readdirSync(tmp).filter((d) => d.startsWith('serve-tune-'));
}

/** Pids of processes whose command line mentions `needle`, and their children. */
function pidsUnder(needle: string): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4 && !f[2]!.startsWith('Z'));
  const roots = rows.filter((f) => f.slice(3).join(' ').includes(needle)).map((f) => Number(f[0]));
  const out = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const f of rows)
      if (out.has(Number(f[1])) && !out.has(Number(f[0]))) {
        out.add(Number(f[0]));
        grew = true;
      }
  }
  return [...out];
}

test('the written profile keeps the comments and the capacity, validates and starts; nothing of the tuning cluster is left', async (t) => {
  const lap = laps(t);
  // replicas.min 2 while tune tries 1 replica: the capacity guard keeps 2 (the 5 -> 1).
  const w = world(
    t,
    PROFILE.replace('replicas: { min: 1, max: 2, initial: 1 }', 'replicas: { min: 2, max: 2, initial: 2 }'),
  );
  const run = await serve(
    [
      'tune',
      '--profile',
      'p.yaml',
      '--batch-sizes',
      '1,8',
      '--batch-waits',
      '0ms,2ms',
      '--replicas',
      '1',
      ...FAST,
      '--write',
      'tuned.yaml',
      '--write-anyway',
      '--json',
    ],
    { cwd: w.cwd, env: w.env, timeoutMs: 90_000 },
  );
  const report = JSON.parse(run.stdout) as TuneReport & { written: string; decision: string };
  assert.equal(run.code, codeOf(report.decision), run.stderr);
  lap('tune --write');
  assert.equal(report.stopped, 'done');
  assert.equal(report.objective, 'cost');
  assert.equal(report.ratePerSec, 40);
  const rec = report.recommendation!;
  assert.deepEqual(
    { replicas: rec.replicas, threads: rec.threads, objective: rec.objective },
    { replicas: 1, threads: 1, objective: 'cost' },
  );
  assert.ok(report.candidates[0]!.passed && report.candidates[0]!.result!.windows >= 3);
  assert.match(run.stderr, /built the demo model/);
  assert.deepEqual(tuneDirs(w.tmp), [], "the tuning cluster's folder is removed");
  assert.deepEqual(pidsUnder(w.tmp), [], 'and its processes are gone');

  const text = readFileSync(path.join(w.cwd, 'tuned.yaml'), 'utf8');
  assert.match(text, /^# A profile for the tune tests/);
  assert.match(text, /registry: \.\/models {3}# built by serve tune when missing/);
  assert.match(text, new RegExp(`max_batch_size: ${rec.maxBatchSize} {4}# where the search starts`));
  assert.match(text, new RegExp(`batch_wait_timeout: ${rec.batchWaitMs}ms\n`));
  assert.match(
    text,
    /\n# serve tune: the cheapest configuration meeting every target at 40 req\/s, measured on .+ CPUs, load average/,
  );
  assert.match(run.stderr, /changes to tuned\.yaml:\n/);
  assert.match(
    run.stderr,
    /\nkept replicas\.min 2 and replicas\.initial 2 \(tune chose 1 replica: --allow-capacity-change/,
  );
  assert.match(text, /replicas: \{ min: 2, max: 2, initial: 2 \}/);
  const validate = await serve(['validate', 'tuned.yaml'], { cwd: w.cwd });
  lap('validate');
  assert.equal(validate.code, 0, validate.stderr);
  const up = await serve(['up', '--profile', 'tuned.yaml', '--detach', '--json', '--state-dir', 'st'], {
    cwd: w.cwd,
    timeoutMs: 60_000,
  });
  t.after(() => serve(['down', '--state-dir', 'st'], { cwd: w.cwd }).catch(() => undefined));
  assert.equal(up.code, 0, up.stderr);
  const status = JSON.parse(up.stdout) as { replicas: Array<{ state: string }> };
  assert.equal(status.replicas.filter((r) => r.state === 'ready').length, 2, "the profile's replicas.min, kept");
  lap('up --detach');
  assert.equal((await serve(['down', '--state-dir', 'st'], { cwd: w.cwd, timeoutMs: 30_000 })).code, 0);
  lap('down');
});

test('a target no configuration can meet exits 1 with the closest candidate and what it missed', async (t) => {
  const w = world(t, PROFILE.replace('p99: 400ms', 'p99: 50us'), { model: true });
  const run = await serve(
    ['tune', '--profile', 'p.yaml', '--batch-sizes', '1,8', '--batch-waits', '0ms', '--replicas', '1', ...FAST],
    { cwd: w.cwd, env: w.env, timeoutMs: 90_000 },
  );
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stdout,
    /No recommendation: no configuration met every target at 40 req\/s; the closest, batch \d+ within 0ms, 1 replica x 1 thread, missed p99 [\d.]+ms > 50us/,
  );
  assert.match(run.stdout, /FAIL/);
  assert.deepEqual(pidsUnder(w.tmp), []);
});

test('Ctrl-C in the middle of the search stops the cluster it started, leaves no process and writes the best so far', async (t) => {
  const w = world(t, PROFILE, { model: true });
  const child = spawn(
    process.execPath,
    [
      serveBin,
      'tune',
      '--profile',
      'p.yaml',
      '--exhaustive',
      '--batch-sizes',
      '1,8,16,32',
      '--batch-waits',
      '0ms,2ms,5ms',
      '--replicas',
      '1',
      ...FAST,
      '--write',
      'best.yaml',
      '--write-anyway',
      '--json',
    ],
    {
      cwd: w.cwd,
      env: { ...process.env, ...w.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  t.after(() => child.kill('SIGKILL'));
  // The second configuration being applied means the first was measured.
  const log = await waitFor(
    "the tuning cluster's controller log",
    () => {
      const dir = readdirSync(w.tmp).find((d) => d.startsWith('serve-tune-'));
      const file = dir && path.join(w.tmp, dir, 'state', 'logs', 'controller.log');
      return file && existsSync(file) ? file : undefined;
    },
    30_000,
  );
  await waitFor('a second configuration', () => readFileSync(log, 'utf8').includes('reconfigured'), 60_000, 50);
  const processes = pidsUnder(w.tmp);
  assert.ok(processes.length >= 3, `controller, gateway and a replica: ${processes}`);
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 130, stderr);
  const report = JSON.parse(stdout) as TuneReport & { written?: string };
  assert.equal(report.stopped, 'interrupted');
  assert.ok(report.recommendation, 'the best found before Ctrl-C');
  assert.ok(
    report.candidates.some((c) => c.status === 'skipped'),
    'the rest was not measured',
  );
  assert.equal(report.written, 'best.yaml');
  assert.equal((await serve(['validate', 'best.yaml'], { cwd: w.cwd })).code, 0);
  assert.deepEqual(processes.filter(isAlive), [], 'no process of the tuning cluster is left');
  assert.deepEqual(tuneDirs(w.tmp), []);
});

test("--attach tunes a running cluster and hands it back unpinned, with the profile's batching", async (t) => {
  const lap = laps(t);
  const w = world(t, PROFILE, { model: true });
  const up = await serve(['up', '--profile', 'p.yaml', '--detach', '--json', '--state-dir', 'st'], {
    cwd: w.cwd,
    timeoutMs: 60_000,
  });
  t.after(() => serve(['down', '--state-dir', 'st'], { cwd: w.cwd }).catch(() => undefined));
  assert.equal(up.code, 0, up.stderr);
  lap('model and up --detach');
  const run = await serve(
    [
      'tune',
      '--profile',
      'p.yaml',
      '--attach',
      '--state-dir',
      'st',
      // Two candidates, neither the profile's batch 8 within 0ms: handing back is a change to see.
      '--batch-sizes',
      '8',
      '--batch-waits',
      '2ms,5ms',
      '--replicas',
      '1',
      '--exhaustive',
      ...FAST,
      '--json',
    ],
    { cwd: w.cwd, env: w.env, timeoutMs: 90_000 },
  );
  const report = JSON.parse(run.stdout) as TuneReport & { decision: string };
  assert.equal(run.code, codeOf(report.decision), run.stderr);
  assert.equal(report.measured, 2);
  lap('tune --attach');
  const status = JSON.parse((await serve(['status', '--json', '--state-dir', 'st'], { cwd: w.cwd })).stdout) as {
    autoscaling: { pinned?: number; decisions: Array<{ action: string }> };
  };
  assert.equal(status.autoscaling.pinned, undefined, 'unpinned');
  assert.ok(status.autoscaling.decisions.some((d) => d.action === 'unpin'));
  const logs = readFileSync(path.join(w.cwd, 'st', 'logs', 'controller.log'), 'utf8');
  assert.match(
    logs
      .trim()
      .split('\n')
      .filter((l) => l.includes('reconfigured'))
      .at(-1)!,
    /batch 8 within 0ms, 1 thread/,
    "the profile's batching is back",
  );
  assert.equal((await serve(['down', '--state-dir', 'st'], { cwd: w.cwd, timeoutMs: 30_000 })).code, 0);
});
