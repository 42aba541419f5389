// Log files with size rotation (control plane): logs/<component>.log, rolled to .1, .2 ... when
// it passes a size, so a long-running cluster cannot fill the disk. Never writes through a link.
import { closeSync, fstatSync, renameSync, writeSync } from 'node:fs';
import { openAppend, removeEntry } from '../common/no-follow.js';

/**
 * Appends lines to `path`, rotating to `path.1` ... `path.<keep>` past `maxBytes`. The file is
 * opened with O_NOFOLLOW (and O_EXCL where it is new): a link or a non-file at `path` throws a
 * UserError; rename(2) and unlink(2) of the generations replace links, never follow them.
 */
export class RotatingLog {
  private fd: number;
  private sizeBytes: number;

  constructor(readonly path: string, private readonly maxBytes = 10 * 1024 * 1024, private readonly keep = 3) {
    this.fd = openAppend(path);
    this.sizeBytes = fstatSync(this.fd).size;
  }

  /** Writes one line (a newline is added if missing). Synchronous, so a crash loses nothing. */
  write(line: string): void {
    const text = line.endsWith('\n') ? line : line + '\n';
    if (this.fd < 0) return;
    const bytes = Buffer.byteLength(text);
    if (this.sizeBytes > 0 && this.sizeBytes + bytes > this.maxBytes) this.rotate();
    writeSync(this.fd, text);
    this.sizeBytes += bytes;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
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
    this.fd = openAppend(this.path);
    this.sizeBytes = fstatSync(this.fd).size;
  }
}
