// Replacing a file atomically (common): whole or not at all, no temporary file left on any failure,
// and a real full disk (a tiny tmpfs) reported as DiskFullError naming the directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DiskFullError, PendingFile, diskErrorCode, replaceFile } from '../../src/common/atomic-write.js';
import { tinyDisk } from '../helpers/tiny-disk.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-atomic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('replaceFile replaces the file whole, replaces a link instead of writing through it, and leaves no temp file', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'out.json');
  replaceFile(file, 'one\n');
  replaceFile(file, Buffer.from('two\n'), { mode: 0o600 });
  assert.equal(readFileSync(file, 'utf8'), 'two\n');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const outside = path.join(dir, 'outside');
  writeFileSync(outside, 'precious\n');
  rmSync(file);
  symlinkSync(outside, file);
  replaceFile(file, 'three\n');
  assert.equal(readFileSync(outside, 'utf8'), 'precious\n');
  assert.equal(readFileSync(file, 'utf8'), 'three\n');
  assert.deepEqual(readdirSync(dir).sort(), ['out.json', 'outside']);
});

test('a rename that fails (a folder in the way) removes the temporary file and keeps what was there', (t) => {
  const dir = tempDir(t);
  const target = path.join(dir, 'taken');
  mkdirSync(path.join(target, 'inside'), { recursive: true });
  assert.throws(
    () => replaceFile(target, 'x'),
    (err: NodeJS.ErrnoException) => err.code === 'EISDIR' || err.code === 'ENOTEMPTY',
  );
  assert.deepEqual(readdirSync(dir), ['taken']);
});

test('on a full disk: DiskFullError naming the directory, the old file kept, no temp file; space back, it works', (t) => {
  const disk = tinyDisk(t);
  if (!disk) return;
  const file = path.join(disk.dir, 'state.json');
  replaceFile(file, 'old\n');
  disk.fill();
  const big = 'x'.repeat(20_000);
  const err = (() => {
    try {
      replaceFile(file, big);
    } catch (e) {
      return e;
    }
    return assert.fail('the write succeeded on a full disk');
  })();
  assert.ok(err instanceof DiskFullError, String(err));
  assert.equal(err.code, 'ENOSPC');
  assert.equal(err.dir, disk.dir);
  assert.equal(err.exitCode, 2);
  assert.equal(diskErrorCode(err), 'ENOSPC');
  assert.match(
    err.message,
    new RegExp(
      `^the disk holding ${disk.dir} is full \\(ENOSPC, no space left\\): cannot write state\\.json; free some space there`,
    ),
  );
  assert.equal(readFileSync(file, 'utf8'), 'old\n');
  assert.deepEqual(readdirSync(disk.dir).sort(), ['.filler', 'state.json']);
  // A temp file kept for link(2) fails the same way and is gone after discard().
  assert.throws(() => {
    const p = PendingFile.open(file);
    try {
      p.write(big);
    } finally {
      p.discard();
    }
  }, DiskFullError);
  assert.deepEqual(readdirSync(disk.dir).sort(), ['.filler', 'state.json']);
  disk.free();
  replaceFile(file, big);
  assert.equal(readFileSync(file, 'utf8'), big);
  assert.deepEqual(readdirSync(disk.dir), ['state.json']);
});
