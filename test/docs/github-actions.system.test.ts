// docs/examples/github-actions.yml (issue 21): its steps have the shape the docs promise, every
// `serve` line names real commands and flags (as the commander program prints them in --help), and
// its serve steps run here as written against the demo (only the load times shortened). The same
// detached cluster serves the README's CI flow: `serve bench --profile` gates pass with exit 0 and
// fail with exit 1, `serve status` sees it, and after `serve down` status exits 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { laps } from '../helpers/laps.js';
import { repoRoot } from '../helpers/paths.js';
import { serveBin } from '../e2e/cli-run.js';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

const workflowFile = path.join(repoRoot, 'docs', 'examples', 'github-actions.yml');
const steps = (parse(readFileSync(workflowFile, 'utf8')) as { jobs: { bench: { steps: Step[] } } }).jobs.bench.steps;
const serveLines = steps
  .flatMap((s) => (s.run ?? '').split('\n'))
  .map((l) => l.trim())
  .filter((l) => l.startsWith('serve '));
const lineOf = (cmd: string) => serveLines.find((l) => l.startsWith(`serve ${cmd} `) || l === `serve ${cmd}`)!;

test('the workflow checks out, installs, starts detached, benches with a baseline, keeps the JUnit file, and always stops', () => {
  assert.ok(steps.some((s) => s.uses?.startsWith('actions/checkout@')));
  assert.ok(steps.some((s) => s.run === 'npm ci'));
  assert.match(lineOf('up'), /--detach/);
  const bench = lineOf('bench');
  assert.match(bench, /--baseline \S+/);
  const junit = /--junit (\S+)/.exec(bench)?.[1];
  assert.ok(junit, bench);
  const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
  assert.ok(
    upload && String(upload.with?.path).includes(junit) && upload.if === 'always()',
    'the JUnit file is uploaded even when the gate fails',
  );
  const down = steps.find((s) => s.run?.trim() === 'serve down');
  assert.equal(down?.if, 'always()');
  assert.ok(steps.indexOf(down!) === steps.length - 1, 'serve down is the last step');
});

test('every serve line names a command and flags the CLI has', () => {
  assert.ok(serveLines.length >= 3, serveLines.join('\n'));
  for (const line of serveLines) {
    const [, command, ...rest] = line.split(/\s+/);
    const help = execFileSync(process.execPath, [serveBin, command!, '--help'], { encoding: 'utf8' });
    for (const flag of rest.filter((w) => w.startsWith('--'))) {
      assert.match(help, new RegExp(`(^|[\\s,])${flag}([\\s=<]|$)`, 'm'), `${line}: serve ${command} has no ${flag}`);
    }
  }
});

/** Runs one workflow line with bash, `serve` on the PATH as the workflow puts it there. */
function runLine(
  line: string,
  cwd: string,
  binDir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', line], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        GITHUB_ACTIONS: undefined,
        GITHUB_STEP_SUMMARY: undefined,
        CI: 'true',
        SERVE_PORT: '0',
        ...env,
        PATH: `${binDir}${path.delimiter}${process.env.PATH}`,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(
      () => (child.kill('SIGKILL'), reject(new Error(`${line}: no end in 120 s\n${stderr}`))),
      120_000,
    );
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

test('the serve steps run as written against the demo; bench --profile gates pass (0) and fail (1); down', async (t) => {
  const lap = laps(t);
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'serve-gha-'));
  const binDir = path.join(cwd, 'node_modules', '.bin');
  mkdirSync(binDir, { recursive: true });
  writeFileSync(
    path.join(binDir, 'serve'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(serveBin)} "$@"\n`,
  );
  chmodSync(path.join(binDir, 'serve'), 0o755);
  t.after(async () => {
    if (existsSync(path.join(cwd, '.serve', 'serve.pid'))) await runLine('serve down --timeout 10s', cwd, binDir);
    rmSync(cwd, { recursive: true, force: true });
  });
  const up = await runLine(lineOf('up'), cwd, binDir);
  assert.equal(up.code, 0, up.stderr);
  lap('up --detach');
  // The committed baseline, made as the file's comment says (shorter, after a warmup): the profile's
  // targets are met, exit 0.
  mkdirSync(path.join(cwd, 'bench'));
  const base = await runLine(
    'serve bench --profile local --rps 200 --duration 2s --warmup 1s --json > bench/baseline.json',
    cwd,
    binDir,
  );
  assert.equal(base.code, 0, `${base.stderr}\n${readFileSync(path.join(cwd, 'bench', 'baseline.json'), 'utf8')}`);
  lap('bench: the baseline, passing');
  // An impossible target must fail the gate with exit code 1 and say which target.
  const fail = await runLine(
    'serve bench --profile local --rps 200 --duration 1s --warmup 0 --p50 0.05ms',
    cwd,
    binDir,
  );
  assert.equal(fail.code, 1, fail.stderr);
  assert.match(fail.stdout, /p50[^\n]*FAIL/);
  lap('bench: an impossible target, failing');
  // The step as written, with 1 s of load and no warmup instead of 30 s after 10 s: what is checked
  // is the recipe (baseline compared, JUnit kept, verdict logged), not the figures.
  const bench = lineOf('bench')
    .replace(/--duration \S+/, '--duration 1s')
    .replace(/--warmup \S+/, '--warmup 0s');
  const summary = path.join(cwd, 'summary.md');
  const r = await runLine(bench, cwd, binDir, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary });
  // A missed target on a loaded test machine is a result, not a broken recipe; either way the log says why.
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}\n${r.stderr}`);
  const json = JSON.parse(readFileSync(path.join(cwd, 'bench.json'), 'utf8')) as {
    gates: { passed: boolean; checks: Array<{ kind: string; passed: boolean }> };
  };
  assert.ok(
    json.gates.checks.some((c) => c.kind === 'baseline'),
    'compared with the baseline',
  );
  assert.match(readFileSync(path.join(cwd, 'bench.xml'), 'utf8'), /<testcase /);
  assert.match(r.stderr, /^(PASS|FAIL): /m, 'the verdict is in the job log');
  const failed = json.gates.checks.filter((c) => !c.passed).length;
  assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('::error ')).length, failed);
  assert.match(readFileSync(summary, 'utf8'), /^### serve bench: (PASS|FAIL)\n/);
  lap('the bench step');
  const status = await runLine('serve status --json', cwd, binDir);
  assert.equal(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout) as { replicas: Array<{ state: string }> };
  assert.ok(s.replicas.filter((r) => r.state === 'ready').length >= 1);
  const down = await runLine(lineOf('down'), cwd, binDir);
  assert.equal(down.code, 0, down.stderr);
  const after = await runLine('serve status', cwd, binDir);
  assert.equal(after.code, 3, 'nothing running: exit 3');
  assert.doesNotMatch(after.stderr, /\n\s+at /, 'no stack trace');
  // The always-run step after a step that already stopped it (or never started it) still passes.
  const again = await runLine(lineOf('down'), cwd, binDir);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^nothing to stop/);
  lap('status, down, status, down');
});
