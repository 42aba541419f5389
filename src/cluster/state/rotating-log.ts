// Log files with size rotation (control plane): logs/<component>.log, rolled to .1, .2 ... when
// it passes a size, so a long-running cluster cannot fill the disk. Never writes through a link,
// and never leaves a partial line: a line is written whole or not at all.
import { closeSync, fstatSync, ftruncateSync, renameSync, writeSync } from 'node:fs';
import { asDiskError } from '../../common/atomic-write.js';
import { openAppend, removeEntry } from '../../common/no-follow.js';

/**
 * Appends lines to `path`, rotating to `path.1` ... `path.<keep>` past `maxBytes`. The file is
 * opened with O_NOFOLLOW (and O_EXCL where it is new): a link or a non-file at `path` throws a
 * UserError; rename(2) and unlink(2) of the generations replace links, never follow them.
 */
export class RotatingLog {
  private fd = -1;
  private sizeBytes = 0;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly maxBytes = 10 * 1024 * 1024,
    private readonly keep = 3,
  ) {
    this.open();
  }

  /**
   * Writes one line (a newline is added if missing), whole or not at all: a short or failed write
   * is cut back to the last full line and throws (DiskFullError on a full disk). Synchronous, so a
   * crash loses nothing.
   */
  write(line: string): void {
    if (this.closed) return;
    const buf = Buffer.from(line.endsWith('\n') ? line : line + '\n');
    if (this.fd < 0) this.open();
    if (this.sizeBytes > 0 && this.sizeBytes + buf.length > this.maxBytes) this.rotate();
    let off = 0;
    try {
      while (off < buf.length) {
        const n = writeSync(this.fd, buf, off, buf.length - off);
        if (n <= 0) throw Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC' });
        off += n;
      }
    } catch (err) {
      // Part of the line may be on disk (a short write, then ENOSPC): cut the file back to the last whole line.
      if (off > 0) this.cutBack();
      throw asDiskError(err, this.path);
    }
    this.sizeBytes += buf.length;
  }

  close(): void {
    this.closed = true;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private open(): void {
    this.fd = openAppend(this.path);
    this.sizeBytes = fstatSync(this.fd).size;
  }

  private cutBack(): void {
    try {
      ftruncateSync(this.fd, this.sizeBytes);
    } catch {
      // Truncating frees space and rarely fails; if it does, the next reader skips one broken line.
    }
  }

  private rotate(): void {
    closeSync(this.fd);
    this.fd = -1;
    removeEntry(`${this.path}.${this.keep}`);
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      } catch {
        // That generation does not exist yet.
      }
    }
    renameSync(this.path, `${this.path}.1`);
    // A failure to open the new file leaves fd at -1: the next write tries again.
    this.open();
  }
}
