// Log files with size rotation (control plane): logs/<component>.log, rolled to .1, .2 ... when
// it passes a size, so a long-running cluster cannot fill the disk.
import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';

/** Appends lines to `path`, rotating to `path.1` ... `path.<keep>` past `maxBytes`. */
export class RotatingLog {
  private fd: number;
  private sizeBytes: number;

  constructor(readonly path: string, private readonly maxBytes = 10 * 1024 * 1024, private readonly keep = 3) {
    this.fd = openSync(path, 'a', 0o600);
    this.sizeBytes = statSync(path).size;
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
    rmSync(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      } catch {
        // That generation does not exist yet.
      }
    }
    renameSync(this.path, `${this.path}.1`);
    this.fd = openSync(this.path, 'a', 0o600);
    this.sizeBytes = 0;
  }
}
