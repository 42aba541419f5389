// The log files of a cluster (control plane): one rotating file per component under
// <state-dir>/logs/ (controller.log, gateway.log, replica-1.log ...), read back by `serve logs`.
import path from 'node:path';
import { RotatingLog } from './rotating-log.js';

export class LogFiles {
  private files = new Map<string, RotatingLog>();
  private closed = false;

  constructor(readonly dir: string, private readonly maxBytes = 10 * 1024 * 1024) {}

  /** Appends one line to <dir>/<component>.log; after close() lines are dropped (no file is reopened). */
  write(component: string, line: string): void {
    if (this.closed) return;
    let f = this.files.get(component);
    if (!f) {
      f = new RotatingLog(path.join(this.dir, `${component}.log`), this.maxBytes);
      this.files.set(component, f);
    }
    f.write(line);
  }

  close(): void {
    this.closed = true;
    for (const f of this.files.values()) f.close();
    this.files.clear();
  }
}
