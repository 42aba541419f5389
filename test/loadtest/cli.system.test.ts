// `serve bench` as a user runs it (loadtest, child processes): exit codes of passing and failing
// gates of every kind and of a baseline regression, result files, bad flags, unreachable targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readStartTicks } from '../../src/common/process.js';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import hdr from 'hdr-histogram-js';
import { cliEntry } from '../helpers/paths.js';
import { startFakeServer, type FakeServer } from './oip-server.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI; SIGINT is sent once `interruptWhen` holds (polled). Bounded by a 60 s kill. GitHub's
 * variables are dropped unless `env` sets them, so a run of these tests inside Actions writes no
 * annotations or summaries of its own.
 */
function serve(
  args: string[],
  opts: { interruptWhen?: () => boolean; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const env = { ...process.env, CI: 'true', GITHUB_ACTIONS: undefined, GITHUB_STEP_SUMMARY: undefined, ...opts.env };
    const child = spawn(process.execPath, [cliEntry, ...args], { cwd: opts.cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const interrupt =
      opts.interruptWhen === undefined
        ? undefined
        : setInterval(() => {
            if (!opts.interruptWhen!()) return;
            clearInterval(interrupt);
            child.kill('SIGINT');
          }, 10);
    child.on('close', (code) => {
      clearTimeout(killer);
      if (interrupt) clearInterval(interrupt);
      resolve({ code, stdout, stderr });
    });
  });
}

// No warmup: these runs check flags and outputs, not latency.
const short = ['--rps', '50', '--duration', '1s', '--warmup', '0'];
const noStack = (r: Run) => assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace in: ${r.stderr}`);

async function withServer(opts: Parameters<typeof startFakeServer>[0], fn: (s: FakeServer) => Promise<void>) {
  const server = await startFakeServer(opts);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

test('every target kind passes when met: exit 0, JSON, JUnit, HDR log and .hgrm written (two workers)', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await withServer({ delayMs: 5, failEvery: 10 }, async (s) => {
    const files = { junit: path.join(dir, 'r.xml'), hdr: path.join(dir, 'r.hlog'), hgrm: path.join(dir, 'r.hgrm') };
    const r = await serve([
      'bench',
      '--url',
      s.url,
      ...short,
      '--json',
      '--p50',
      '1s',
      '--p90',
      '1s',
      '--p95',
      '1s',
      '--p99',
      '1s',
      '--p999',
      '2s',
      '--max',
      '5s',
      '--error-rate',
      '20%',
      '--min-rps',
      '10',
      '--junit',
      files.junit,
      '--hdr-log',
      files.hdr,
      '--hgrm',
      files.hgrm,
      '--workers',
      '2',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.deepEqual(
      json.gates.checks.map((c: { metric: string }) => c.metric),
      ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'errorRate', 'minRps'],
    );
    assert.ok(json.gates.checks.every((c: { passed: boolean }) => c.passed));
    assert.equal(json.target.model, 'tiny', 'the only model listed is picked');
    assert.equal(json.errorsByClass.http_503, 5);
    assert.equal(json.requests.scheduled, 50);
    const junit = await readFile(files.junit, 'utf8');
    assert.equal(junit.match(/<testcase /g)?.length, 8);
    assert.match(junit, /failures="0"/);
    // The HDR log is read back with the HdrHistogram reader; its intervals add up to the result.
    const reader = new hdr.HistogramLogReader(await readFile(files.hdr, 'utf8'));
    let total = 0;
    for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) total += h.totalCount;
    assert.equal(total, json.latency.count);
    assert.match(await readFile(files.hgrm, 'utf8'), /Value\s+Percentile\s+TotalCount/);
  });
});

test('every target kind fails when missed: exit 1, each check failed', async () => {
  await withServer({ delayMs: 5, failEvery: 2 }, async (s) => {
    const r = await serve([
      'bench',
      '--url',
      s.url,
      '--model',
      'tiny',
      ...short,
      '--json',
      '--p50',
      '1ms',
      '--p90',
      '1ms',
      '--p95',
      '1ms',
      '--p99',
      '1ms',
      '--p999',
      '1ms',
      '--max',
      '1ms',
      '--error-rate',
      '1%',
      '--min-rps',
      '1000',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.gates.checks.length, 8);
    assert.ok(
      json.gates.checks.every((c: { passed: boolean }) => !c.passed),
      JSON.stringify(json.gates),
    );
  });
});

test('one missed target alone fails the gate, and the table says which', async () => {
  await withServer({ delayMs: 5 }, async (s) => {
    const r = await serve(['bench', '--url', s.url, ...short, '--p50', '1s', '--p99', '2ms']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /p99.*FAIL/);
    assert.match(r.stdout, /p50.*PASS/);
    assert.match(r.stdout, /FAIL: p99 .* > 2\.00ms/);
  });
});

test('CI: with --json on stdout the table still goes to stderr; in GitHub Actions a job summary and one ::error per failed check', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-gh-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await withServer({ delayMs: 5 }, async (s) => {
    // `serve bench ... --json > bench.json`: the job log (stderr) says which check failed.
    const plain = await serve(['bench', '--url', s.url, ...short, '--json', '--p50', '1s', '--p99', '1ms']);
    assert.equal(plain.code, 1, plain.stderr);
    assert.equal(JSON.parse(plain.stdout).gates.passed, false);
    assert.match(plain.stderr, /p99 .*FAIL/);
    assert.match(plain.stderr, /^FAIL: p99 .* > 1\.00ms( \(.*\))?$/m);
    assert.doesNotMatch(plain.stderr, /::error/);
    // Without --json and stdout not a terminal: the table on stdout, the verdict line on stderr too.
    const piped = await serve(['bench', '--url', s.url, ...short, '--p50', '1s', '--p99', '1ms']);
    assert.match(piped.stdout, /p99 .*FAIL/);
    assert.match(piped.stderr, /^serve bench: FAIL: p99 .* > 1\.00ms( \(.*\))?$/m);

    const summary = path.join(dir, 'summary.md');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary };
    const failed = await serve(['bench', '--url', s.url, ...short, '--json', '--p50', '1s', '--p99', '1ms'], { env });
    assert.equal(failed.code, 1, failed.stderr);
    JSON.parse(failed.stdout);
    const annotations = failed.stderr.split('\n').filter((l) => l.startsWith('::'));
    assert.equal(annotations.length, 1, failed.stderr);
    assert.match(annotations[0]!, /^::error title=serve bench%3A target missed::p99 \S+ > 1\.00ms( \(.*\))?$/);
    const passed = await serve(['bench', '--url', s.url, ...short, '--json', '--p50', '1s'], { env });
    assert.equal(passed.code, 0, passed.stderr);
    assert.doesNotMatch(passed.stderr, /::error/);
    // Appended, one section a run, as GitHub's Markdown.
    const md = await readFile(summary, 'utf8');
    assert.match(md, /^### serve bench: FAIL\n/);
    assert.match(md, /\n### serve bench: PASS\n/);
    assert.match(md, /\| p99 \| \S+ \| \S+ \| <= 1\.00ms \| FAIL \|/);
    assert.match(md, /\*\*FAIL: p99 \S+ > 1\.00ms( \(.*\))?\*\*/);
  });
});

test('baseline: a faster run passes, a slower one fails as a regression', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const baseFile = path.join(dir, 'base.json');
  await withServer({ delayMs: 20 }, async (s) => {
    const r = await serve(['bench', '--url', s.url, ...short, '--json']);
    assert.equal(r.code, 0, r.stderr);
    await writeFile(baseFile, r.stdout);
  });
  await withServer({ delayMs: 2 }, async (s) => {
    const r = await serve(['bench', '--url', s.url, ...short, '--baseline', baseFile]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /baseline/i);
  });
  await withServer({ delayMs: 40 }, async (s) => {
    const r = await serve(['bench', '--url', s.url, ...short, '--baseline', baseFile, '--max-regression', '10%']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /FAIL: p50 .* vs baseline/);
  });
});

test('bad flags: one line, exit 2, no stack', async () => {
  for (const args of [
    ['--url', 'http://127.0.0.1:9', '--p99', 'soon'],
    ['--url', 'http://127.0.0.1:9', '--rps', '10:5'],
    ['--url', 'http://127.0.0.1:9', '--baseline', '/nonexistent/base.json'],
    ['--url', 'http://127.0.0.1:9', '--hdr-log', '/nonexistent/x.hlog'],
    ['--url', 'http://127.0.0.1:9', '--junit', '/nonexistent/x.xml'],
  ]) {
    const r = await serve(['bench', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^serve: error: .*(--p99|--rps|--url|--baseline|--hdr-log|--junit)/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    noStack(r);
  }
  const unknown = await serve(['bench', '--bogus']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option '--bogus'/);
});

test('unreachable targets: exit 3 with one line saying what to do', async (t) => {
  const closed = await startFakeServer();
  const url = closed.url;
  await closed.close();
  const refused = await serve(['bench', '--url', url, ...short]);
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /^serve: error: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  noStack(refused);

  await withServer({ listModels: false }, async (s) => {
    const missing = await serve(['bench', '--url', s.url, '--model', 'nope', ...short]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /model "nope" is not served .*HTTP 404/);
    const unlisted = await serve(['bench', '--url', s.url, ...short]);
    assert.equal(unlisted.code, 2);
    assert.match(unlisted.stderr, /pass --model NAME/);
  });

  await withServer({ goAwayAfterMetadata: true }, async (s) => {
    const gone = await serve(['bench', '--url', s.url, ...short, '--p99', '1s']);
    assert.equal(gone.code, 3, gone.stdout + gone.stderr);
    assert.match(gone.stderr, /every request failed to connect/);
    assert.match(gone.stdout, /connection 50/);
    // No verdict is printed for a run that exits 3, least of all PASS.
    assert.doesNotMatch(gone.stdout, /PASS|FAIL/);
    assert.match(gone.stdout, /no verdict: every request failed to connect/);
  });

  const dir = await mkdtemp(path.join(tmpdir(), 'bench-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const noCluster = await serve(['bench', '--profile', 'local', '--state-dir', dir]);
  assert.equal(noCluster.code, 3);
  assert.match(noCluster.stderr, /run `serve up --profile local` first/);
  noStack(noCluster);
  // Neither --url nor --profile: the cluster of the state directory, and when none runs, how to get one.
  const nothing = await serve(['bench', '--rps', '10', '--state-dir', dir]);
  assert.equal(nothing.code, 3);
  assert.match(
    nothing.stderr,
    /^serve: error: no cluster is running in .*: start one with `serve up --profile <profile>`, or pass --url of a running server\n$/,
  );
});

test('a profile of a running cluster supplies the URL, model and targets', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await withServer({ delayMs: 5 }, async (s) => {
    // What `serve up` leaves: a pid file naming a live process (this one, with its start time) and state.json.
    await writeFile(path.join(dir, 'serve.pid'), `${process.pid}\nstart=${readStartTicks(process.pid)}\n`, {
      mode: 0o600,
    });
    await writeFile(
      path.join(dir, 'state.json'),
      JSON.stringify({
        version: 1,
        pid: process.pid,
        startedAt: new Date().toISOString(),
        profileName: 'local',
        profilePath: '/x/local.yaml',
        gatewayUrl: s.url,
        adminSocket: '/x/admin.sock',
        model: { name: 'tiny', version: 1 },
        slo: { p50Ms: 1, targetRps: 40 },
      }),
    );
    const r = await serve([
      'bench',
      '--profile',
      'local',
      '--state-dir',
      dir,
      '--duration',
      '1s',
      '--warmup',
      '0',
      '--json',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.rate.requestedPerSec, 40);
    assert.deepEqual(
      json.gates.checks.map((c: { metric: string }) => c.metric),
      ['p50'],
    );
    const overridden = await serve([
      'bench',
      '--profile',
      'local',
      '--state-dir',
      dir,
      '--duration',
      '1s',
      '--warmup',
      '0',
      '--p50',
      '1s',
    ]);
    assert.equal(overridden.code, 0, overridden.stdout + overridden.stderr);
    // No --url and no --profile: the same running cluster, gated on its targets.
    const plain = await serve(['bench', '--state-dir', dir, '--duration', '1s', '--warmup', '0', '--json']);
    assert.equal(plain.code, 1, plain.stderr);
    assert.deepEqual(
      JSON.parse(plain.stdout).gates.checks.map((c: { metric: string }) => c.metric),
      ['p50'],
    );
  });
});

test('Ctrl-C stops the run, prints what was measured, exits 130', async () => {
  // Slow answers, so requests are in flight at the stop; SIGINT once the load has reached the server.
  await withServer({ delayMs: 200 }, async (s) => {
    const started = Date.now();
    const r = await serve(['bench', '--url', s.url, '--rps', '100', '--duration', '60s', '--warmup', '0'], {
      interruptWhen: () => s.inferCount() >= 5,
    });
    assert.equal(r.code, 130, r.stderr);
    assert.ok(Date.now() - started < 30_000);
    assert.match(r.stdout, /interrupted: the figures cover only what ran before the stop/);
    assert.match(r.stdout, /p99/);
    // Requests abandoned in flight are counted (class interrupted): ok + failed = sent.
    const m = /requests: \d+ due, (\d+) sent, (\d+) ok, (\d+) failed/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(Number(m[2]) + Number(m[3]), Number(m[1]), r.stdout);
    assert.ok(Number(m[1]) >= 5, r.stdout);
  });
});

test('latency targets fail when every request failed: nothing measured is not fast', async () => {
  await withServer({ failStatus: 503 }, async (s) => {
    const r = await serve(['bench', '--url', s.url, ...short, '--p99', '1s']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /FAIL: p99: no successful request to measure/);
    assert.doesNotMatch(r.stdout, /PASS/);
  });
});

test('result files: an earlier file survives a failed run; a finished run replaces it whole', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-out-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files = { junit: path.join(dir, 'r.xml'), hdr: path.join(dir, 'r.hlog'), hgrm: path.join(dir, 'r.hgrm') };
  for (const f of Object.values(files)) await writeFile(f, 'earlier result\n');
  const fileArgs = ['--junit', files.junit, '--hdr-log', files.hdr, '--hgrm', files.hgrm];
  const gone = await startFakeServer();
  await gone.close();
  const failed = await serve(['bench', '--url', gone.url, ...short, ...fileArgs]);
  assert.equal(failed.code, 3, failed.stderr);
  for (const f of Object.values(files)) assert.equal(await readFile(f, 'utf8'), 'earlier result\n', f);
  assert.deepEqual((await readdir(dir)).sort(), ['r.hgrm', 'r.hlog', 'r.xml'], 'no temporary files left behind');
  await withServer({ delayMs: 2 }, async (s) => {
    const r = await serve(['bench', '--url', s.url, ...short, '--p99', '1s', ...fileArgs]);
    assert.equal(r.code, 0, r.stderr);
  });
  assert.match(await readFile(files.junit, 'utf8'), /<testsuites /);
  assert.match(await readFile(files.hdr, 'utf8'), /Histogram log format/);
  assert.match(await readFile(files.hgrm, 'utf8'), /Value\s+Percentile/);
  assert.deepEqual((await readdir(dir)).sort(), ['r.hgrm', 'r.hlog', 'r.xml']);
  // A folder where the file should go is refused before any load.
  const folder = await serve(['bench', '--url', gone.url, ...short, '--hgrm', dir]);
  assert.equal(folder.code, 2, folder.stderr);
  assert.match(folder.stderr, /^serve: error: --hgrm .*cannot write the file/);
});
