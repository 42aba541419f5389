// A real full disk for tests: a tiny tmpfs mounted on a temp folder (root only), filled with a file
// and freed again by removing it. Skips with a clear message where mount is not permitted, and fails
// under CI=true, where the tests run as root.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TinyDisk {
  /** The mount point (mode 0700, owned by us). */
  dir: string;
  /** Fills the disk to the last byte with a file named .filler. */
  fill(): void;
  /** Removes the filler: space returns. */
  free(): void;
}

/**
 * Mounts a `sizeKiB` tmpfs on a new temp folder; unmounted and removed after the test. Returns
 * undefined after skipping the test when mounting is not permitted (not root, no CAP_SYS_ADMIN).
 */
export function tinyDisk(
  t: { skip(message?: string): void; after(fn: () => void): void },
  sizeKiB = 64,
): TinyDisk | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-full-disk-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const message = `cannot mount a tmpfs to fill (${(r.stderr || r.error?.message || '').trim()}): run as root to test a full disk`;
    if (process.env.CI === 'true' || process.env.CI === '1') assert.fail(`${message} (CI=true: a skip is a failure)`);
    t.skip(message);
    return undefined;
  }
  t.after(() => {
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  const filler = path.join(dir, '.filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(4096, 0x2e);
      try {
        // Page-sized writes, then byte by byte, until the disk refuses.
        for (const size of [4096, 1]) {
          for (;;) {
            try {
              if (writeSync(fd, chunk, 0, size) < size) break;
            } catch {
              break;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
  };
}
