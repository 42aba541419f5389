// Log files and `serve logs` (control plane): rotation, merged tails, following across rotation,
// and reading only regular files inside logs/ (no links, no names that lead elsewhere).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { RotatingLog } from '../../src/cluster/state/rotating-log.js';
import { followLogs, formatLogLine, logComponents, mergedTail, tailLines } from '../../src/client/logs.js';
import { cliEntry } from '../helpers/paths.js';
import { tempWorld, waitFor } from './helpers.js';

const SECRET = 'secret line from outside the state directory';

/** `serve logs <args>` as a user runs it, with a deadline (a read that blocks must not hang the suite). */
function serveLogs(args: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [cliEntry, 'logs', ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15_000,
    });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number | null; stdout: string; stderr: string };
    return { code: e.status ?? -1, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A state dir whose logs/ holds a controller.log, and a file outside it that nobody may print. */
function logsWorld(t: { after(fn: () => void): void }) {
  const w = tempWorld();
  t.after(() => w.cleanup());
  const logsDir = path.join(w.stateDir, 'logs');
  mkdirSync(logsDir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(logsDir, 'controller.log'), 'controller line\n');
  const outside = path.join(w.root, 'outside.log');
  writeFileSync(outside, `${SECRET}\n`);
  return { ...w, logsDir, outside };
}

test('log files rotate by size and keep a bounded number of generations', (t) => {
  const w = tempWorld();
  t.after(() => w.cleanup());
  const file = path.join(w.root, 'replica-1.log');
  const log = new RotatingLog(file, 1000, 2);
  for (let i = 0; i < 100; i++) log.write(`line ${String(i).padStart(3, '0')} ${'x'.repeat(40)}`);
  log.close();
  assert.ok(readFileSync(file).length <= 1000);
  assert.ok(existsSync(`${file}.1`) && existsSync(`${file}.2`));
  assert.equal(existsSync(`${file}.3`), false);
  // The newest lines are in the live file, the last one last.
  assert.match(tailLines(file, 1)[0]!, /^line 099 /);
});

test('logs merge in time order with a prefix per component; -n counts over all of them', (t) => {
  const w = tempWorld();
  t.after(() => w.cleanup());
  const line = (ts: string, msg: string, extra = {}) =>
    JSON.stringify({ ts, level: 'info', component: 'x', msg, ...extra });
  writeFileSync(
    path.join(w.root, 'controller.log'),
    [line('2026-01-01T00:00:01.000Z', 'c1'), line('2026-01-01T00:00:04.000Z', 'c4')].join('\n') + '\n',
  );
  writeFileSync(path.join(w.root, 'replica-10.log'), line('2026-01-01T00:00:02.000Z', 'r10') + '\n');
  writeFileSync(
    path.join(w.root, 'replica-2.log'),
    [line('2026-01-01T00:00:03.000Z', 'r2', { replica: 'replica-2' }), 'plain text after r2'].join('\n') + '\n',
  );
  assert.deepEqual(logComponents(w.root), ['controller', 'replica-2', 'replica-10']);
  const merged = mergedTail(w.root, logComponents(w.root), 10);
  assert.deepEqual(
    merged.map((l) => l.component),
    ['controller', 'replica-10', 'replica-2', 'replica-2', 'controller'],
  );
  assert.equal(mergedTail(w.root, logComponents(w.root), 2).length, 2);
  assert.equal(formatLogLine(merged[2]!, 10), 'replica-2  | 00:00:03.000 info  r2 replica=replica-2');
  assert.equal(formatLogLine(merged[3]!, 10), 'replica-2  | plain text after r2');
});

test('following prints only new lines, and a rotated file is read from its start', async (t) => {
  const w = tempWorld();
  const file = path.join(w.root, 'gateway.log');
  writeFileSync(file, 'old line\n');
  const got: string[] = [];
  const stop = followLogs(
    w.root,
    () => ['gateway'],
    (l) => got.push(l.line),
    20,
  );
  t.after(() => {
    stop();
    w.cleanup();
  });
  appendFileSync(file, 'new 1\nnew ');
  await waitFor('first new line', () => got.length === 1, 5000);
  appendFileSync(file, '2\n');
  await waitFor('the split line whole', () => got.length === 2, 5000);
  writeFileSync(file, 'after rotation\n');
  await waitFor('line after rotation', () => got.length === 3, 5000);
  assert.deepEqual(got, ['new 1', 'new 2', 'after rotation']);
});

test('following across a real rotation loses no line written around it', async (t) => {
  const w = tempWorld();
  const file = path.join(w.root, 'replica-1.log');
  // 20-byte lines, 100-byte files: five lines fill one.
  const line = (i: number) => `line ${String(i).padStart(2, '0')} ${'x'.repeat(11)}`;
  const log = new RotatingLog(file, 100, 3);
  log.write(line(1));
  log.write(line(2));
  const got: string[] = [];
  const stop = followLogs(
    w.root,
    () => ['replica-1'],
    (l) => got.push(l.line),
    20,
  );
  t.after(() => {
    stop();
    log.close();
    w.cleanup();
  });
  // One burst between two polls: 3..5 end the old file, 6 rotates, 6..7 start the new one.
  for (let i = 3; i <= 7; i++) log.write(line(i));
  assert.ok(existsSync(`${file}.1`), 'rotated once');
  await waitFor('lines 3..7', () => got.length >= 5, 5000);
  log.write(line(8));
  await waitFor('line 8', () => got.length >= 6, 5000);
  assert.deepEqual(got, [3, 4, 5, 6, 7, 8].map(line));
});

test('serve logs refuses a log file that is a link, in one line, and prints nothing through it', (t) => {
  const w = logsWorld(t);
  symlinkSync(w.outside, path.join(w.logsDir, 'gateway.log'));
  for (const args of [[], ['gateway'], ['-f']]) {
    const r = serveLogs([...args, '--state-dir', w.stateDir], w.root);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^serve: error: .*logs\/gateway\.log is a symbolic link, and serve never follows links in its state directory: remove it\n$/,
    );
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(SECRET));
  }
  const ok = serveLogs(['controller', '--state-dir', w.stateDir], w.root);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /controller \| controller line/);
});

test('serve logs refuses a logs folder that is a link to somewhere else', (t) => {
  const w = logsWorld(t);
  const elsewhere = path.join(w.root, 'elsewhere');
  mkdirSync(elsewhere);
  writeFileSync(path.join(elsewhere, 'gateway.log'), `${SECRET}\n`);
  renameSync(w.logsDir, path.join(w.root, 'old-logs'));
  symlinkSync(elsewhere, w.logsDir);
  const r = serveLogs(['--state-dir', w.stateDir], w.root);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^serve: error: .*state\/logs is a symbolic link/);
  assert.doesNotMatch(r.stdout, new RegExp(SECRET));
});

test('serve logs refuses a FIFO in place of a log at once instead of hanging on it', (t) => {
  const w = logsWorld(t);
  execFileSync('mkfifo', [path.join(w.logsDir, 'gateway.log')]);
  const r = serveLogs(['--state-dir', w.stateDir], w.root);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /gateway\.log is not a regular file: remove it/);
});

test('a component name that could lead out of logs/ is refused as such', (t) => {
  const w = logsWorld(t);
  for (const name of ['../../../../etc/passwd', '../outside', 'a/b', '..', '.hidden', 'replica-1.log']) {
    const r = serveLogs([name, '--state-dir', w.stateDir], w.root);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.equal(
      r.stderr,
      `serve: error: "${name}" is not a component name: use controller, gateway, replica-N (or just N)\n`,
    );
    assert.doesNotMatch(r.stdout, new RegExp(SECRET));
  }
  assert.throws(() => mergedTail(w.logsDir, ['../outside'], 10), /is not a component name/);
});

test("following never reads through a link that takes a log file's place", async (t) => {
  const w = logsWorld(t);
  const gateway = path.join(w.logsDir, 'gateway.log');
  const controller = path.join(w.logsDir, 'controller.log');
  writeFileSync(gateway, 'gateway line\n');
  const got: string[] = [];
  const stop = followLogs(
    w.logsDir,
    () => ['gateway', 'controller'],
    (l) => got.push(l.line),
    20,
  );
  t.after(stop);
  renameSync(gateway, `${gateway}.1`);
  symlinkSync(w.outside, gateway);
  // The poll that reads this line has looked at gateway.log (listed first) after the swap.
  appendFileSync(controller, 'marker\n');
  await waitFor('the marker', () => got.includes('marker'), 5000);
  assert.deepEqual(got, ['marker']);
  assert.throws(() => tailLines(gateway, 10), /gateway\.log is a symbolic link/);
});
