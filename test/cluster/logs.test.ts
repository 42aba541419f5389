import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { RotatingLog } from '../../src/cluster/rotating-log.js';
import { followLogs, formatLogLine, logComponents, mergedTail, tailLines } from '../../src/cluster/log-read.js';
import { tempWorld, waitFor } from './helpers.js';

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
  const line = (ts: string, msg: string, extra = {}) => JSON.stringify({ ts, level: 'info', component: 'x', msg, ...extra });
  writeFileSync(path.join(w.root, 'controller.log'), [line('2026-01-01T00:00:01.000Z', 'c1'), line('2026-01-01T00:00:04.000Z', 'c4')].join('\n') + '\n');
  writeFileSync(path.join(w.root, 'replica-10.log'), line('2026-01-01T00:00:02.000Z', 'r10') + '\n');
  writeFileSync(path.join(w.root, 'replica-2.log'), [line('2026-01-01T00:00:03.000Z', 'r2', { replica: 'replica-2' }), 'plain text after r2'].join('\n') + '\n');
  assert.deepEqual(logComponents(w.root), ['controller', 'replica-2', 'replica-10']);
  const merged = mergedTail(w.root, logComponents(w.root), 10);
  assert.deepEqual(merged.map((l) => l.component), ['controller', 'replica-10', 'replica-2', 'replica-2', 'controller']);
  assert.equal(mergedTail(w.root, logComponents(w.root), 2).length, 2);
  assert.equal(formatLogLine(merged[2]!, 10), 'replica-2  | 00:00:03.000 info  r2 replica=replica-2');
  assert.equal(formatLogLine(merged[3]!, 10), 'replica-2  | plain text after r2');
});

test('following prints only new lines, and a rotated file is read from its start', async (t) => {
  const w = tempWorld();
  const file = path.join(w.root, 'gateway.log');
  writeFileSync(file, 'old line\n');
  const got: string[] = [];
  const stop = followLogs(w.root, () => ['gateway'], (l) => got.push(l.line), 20);
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
  const stop = followLogs(w.root, () => ['replica-1'], (l) => got.push(l.line), 20);
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
