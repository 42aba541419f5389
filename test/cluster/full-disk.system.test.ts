// A full state disk (control plane), on a real tiny tmpfs: the controller keeps serving and says so
// (stderr, status), retries state.json and the targets file when space returns, leaves no temp file;
// logs drop whole lines and resume with a count; `serve up` refuses in one line; up.log is rotated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startCluster } from '../../src/cluster/controller/controller.js';
import { LogFiles } from '../../src/cluster/state/log-files.js';
import { statePaths } from '../../src/cluster/state/state-dir.js';
import { isAlive } from '../../src/common/process.js';
import { cliEntry } from '../helpers/paths.js';
import { tinyDisk } from '../helpers/tiny-disk.js';
import { fakeCli, tempWorld, testProfile, waitFor, watchedCluster } from './helpers.js';

function serve(args: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [cliEntry, ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Every entry under `dir` (recursively) that looks like a temporary file. */
function tempFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((n) => n.endsWith('.tmp'));
}

/** What this process writes to stderr while `fn`'s test runs (and still writes it). */
function captureStderr(t: { after(fn: () => void): void }): string[] {
  const got: string[] = [];
  // Put back as it was, and called with .call(process.stderr).
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    got.push(String(chunk));
    return (original as (...a: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  }) as typeof process.stderr.write;
  t.after(() => (process.stderr.write = original));
  return got;
}

test('a log on a full disk drops whole lines only, and resumes (at its next line, or on the timer when it went quiet) with one line saying how many were dropped', (t) => {
  const disk = tinyDisk(t);
  if (!disk) return;
  const logs = path.join(disk.dir, 'logs');
  mkdirSync(logs);
  const warnings: string[] = [];
  const files = new LogFiles(logs, 10 * 1024 * 1024, (m) => warnings.push(m));
  const line = (i: number) =>
    JSON.stringify({ ts: new Date().toISOString(), level: 'info', msg: `line ${i}`, pad: 'x'.repeat(300) });
  files.write('gateway', line(0));
  files.write('replica-2', line(0));
  disk.fill();
  // The log's last page has room for about ten lines: then a short write, then ENOSPC.
  for (let i = 1; i <= 40; i++) files.write('gateway', line(i));
  for (let i = 1; i <= 40; i++) files.write('replica-2', line(i));
  const quiet = path.join(logs, 'replica-2.log');
  const quietKept = readFileSync(quiet, 'utf8').trimEnd().split('\n').length;
  const file = path.join(logs, 'gateway.log');
  const during = readFileSync(file, 'utf8');
  assert.ok(during.endsWith('\n'), 'no cut-off line');
  const kept = during
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string });
  assert.ok(kept.length >= 2 && kept.length < 40, `${kept.length} lines fit`);
  const dropped = 41 - kept.length;
  assert.deepEqual(
    files.failures().map((f) => [f.file, f.droppedLines]),
    [
      [file, dropped],
      [quiet, 41 - quietKept],
    ],
  );
  assert.match(files.failures()[0]!.error, /the disk holding .*logs is full \(ENOSPC/);
  assert.equal(warnings.length, 2, warnings.join(' | '));
  assert.match(warnings[0]!, /^lines of gateway are dropped until the disk takes them again: the disk holding/);

  disk.free();
  files.write('gateway', line(41));
  files.write('gateway', line(42));
  assert.deepEqual(
    files.failures().map((f) => f.file),
    [quiet],
    'replica-2 went quiet: still dropping',
  );
  // The controller calls this every second: a quiet log gets its count without a next line.
  files.resume();
  assert.deepEqual(files.failures(), []);
  const quietAfter = readFileSync(quiet, 'utf8').trimEnd().split('\n');
  assert.equal(quietAfter.length, quietKept + 1);
  assert.equal(
    (JSON.parse(quietAfter.at(-1)!) as { msg: string }).msg,
    `${41 - quietKept} lines of replica-2 dropped: the disk refused them`,
  );
  files.close();
  const after = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string; droppedLines?: number; level: string });
  assert.equal(after.length, kept.length + 3);
  assert.equal(after[kept.length]!.msg, `${dropped} lines of gateway dropped: the disk refused them`);
  assert.equal(after[kept.length]!.droppedLines, dropped);
  assert.equal(after[kept.length]!.level, 'warn');
  assert.deepEqual(
    after.slice(-2).map((l) => l.msg),
    ['line 41', 'line 42'],
  );
  assert.match(warnings[2]!, new RegExp(`^lines of gateway are logged again; ${dropped} were dropped`));
});

test('a running cluster survives a full state disk: keeps serving, says so, rewrites its files when space returns', async (t) => {
  const disk = tinyDisk(t, 256);
  if (!disk) return;
  const w = tempWorld();
  const stateDir = path.join(disk.dir, 'state');
  const stderr = captureStderr(t);
  const { h, status } = await watchedCluster(t, w, () =>
    startCluster(testProfile(w.registry), { stateDir, cliEntry: fakeCli }),
  );
  const paths = statePaths(stateDir);
  const replicas = status().replicas.map((r) => r.pid);
  disk.fill();
  // A restarted gateway rewrites state.json (and the targets file): today's crash.
  const gw = status().gateway.pid!;
  process.kill(gw, 'SIGKILL');
  await waitFor('the gateway back and state.json failing', () => {
    // Refilled at each look: a log cut back to its last whole line frees a page now and then.
    disk.fill();
    const s = status();
    return (
      s.gateway.state === 'ready' && s.gateway.pid !== gw && s.writeFailures?.some((f) => f.file === paths.stateFile)
    );
  });
  const failing = status().writeFailures!.find((f) => f.file === paths.stateFile)!;
  assert.match(
    failing.error,
    new RegExp(`^the disk holding ${stateDir} is full \\(ENOSPC, no space left\\): cannot write state\\.json`),
  );
  assert.match(
    stderr.join(''),
    new RegExp(`serve: warning: cannot write ${paths.stateFile}: the disk holding ${stateDir} is full`),
  );
  assert.deepEqual(
    status().replicas.map((r) => [r.pid, r.state]),
    replicas.map((pid) => [pid, 'ready']),
    'the replicas keep running',
  );
  const answer = await fetch(`${h.gatewayUrl}/control`);
  assert.equal(answer.status, 200, 'the gateway answers');
  assert.deepEqual(tempFiles(stateDir), []);

  const logDropped = status().writeFailures!.some((f) => f.file === path.join(paths.logsDir, 'controller.log'));

  disk.free();
  // No new line needed: the controller writes the "N lines dropped" line of every quiet log within a second.
  await waitFor('every file written again', () => status().writeFailures === undefined, 5000);
  assert.equal((JSON.parse(readFileSync(paths.stateFile, 'utf8')) as { gatewayUrl: string }).gatewayUrl, h.gatewayUrl);
  assert.match(stderr.join(''), new RegExp(`serve: ${paths.stateFile} is written again \\(after \\d+ failed tr`));
  if (logDropped)
    assert.match(
      readFileSync(path.join(paths.logsDir, 'controller.log'), 'utf8'),
      /"msg":"\d+ lines? of controller dropped: the disk refused them"/,
    );
  assert.deepEqual(tempFiles(stateDir), []);
  // Stopped here, before the disk is unmounted (cleanup runs in the order it was registered).
  await h.stop();
});

test('serve up on a full state disk is one line naming the directory, exit 2, in the foreground and with --detach; no temp file left', (t) => {
  const disk = tinyDisk(t);
  if (!disk) return;
  const w = tempWorld();
  t.after(() => w.cleanup());
  const profile = path.join(w.root, 'p.yaml');
  writeFileSync(
    profile,
    `name: full\nmodel: { name: demo, version: 1, registry: ${w.registry} }\nreplicas: { min: 1, max: 1, initial: 1 }\n`,
  );
  const stateDir = path.join(disk.dir, 'state');
  mkdirSync(path.join(stateDir, 'logs'), { recursive: true, mode: 0o700 });
  disk.fill();
  for (const detach of [[], ['--detach']]) {
    const r = serve(['up', ...detach, '--profile', profile, '--state-dir', stateDir], w.root);
    assert.equal(r.code, 2, `${detach.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^serve: error: the disk holding ${stateDir} is full \\(ENOSPC, no space left\\): cannot write serve\\.pid; free some space there and try again\\n$`,
      ),
    );
  }
  assert.deepEqual(tempFiles(disk.dir), []);
});

test('up.log is rotated like every log: a detached start over a full-size up.log rolls it to up.log.1 and still reports its error', (t) => {
  const w = tempWorld();
  t.after(() => w.cleanup());
  const paths = statePaths(w.stateDir);
  mkdirSync(paths.logsDir, { recursive: true, mode: 0o700 });
  chmodTree(paths.dir);
  const upLog = path.join(paths.logsDir, 'up.log');
  const old = `${'an earlier run '.repeat(6)}\n`.repeat(Math.ceil((10 * 1024 * 1024) / 91));
  writeFileSync(upLog, old, { mode: 0o600 });
  // The background half fails at its claim (a live lock holder), after its output went to up.log.
  const dead = Number(
    execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }),
  );
  assert.equal(isAlive(dead), false);
  writeFileSync(paths.pidFile, `${dead}\n`, { mode: 0o600 });
  writeFileSync(`${paths.pidFile}.lock`, `${process.pid}\n`, { mode: 0o600 });
  const profile = path.join(w.root, 'p.yaml');
  writeFileSync(
    profile,
    `name: rot\nmodel: { name: demo, version: 1, registry: ${w.registry} }\nreplicas: { min: 1, max: 1, initial: 1 }\n`,
  );
  const r = serve(['up', '--detach', '--profile', profile, '--state-dir', w.stateDir], w.root);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^serve: error: another `serve up` is starting in /);
  assert.equal(readFileSync(`${upLog}.1`, 'utf8'), old, 'the earlier output, whole, in up.log.1');
  assert.ok(statSync(upLog).size < 4096, `up.log holds this run only (${statSync(upLog).size} bytes)`);
  assert.match(readFileSync(upLog, 'utf8'), /^serve: error: another `serve up` is starting in /);
});

function chmodTree(dir: string): void {
  execFileSync('chmod', ['-R', 'go-rwx', dir]);
}
