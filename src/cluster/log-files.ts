// The log files of a cluster (control plane): one rotating file per component under
// <state-dir>/logs/ (controller.log, gateway.log, replica-1.log ...), read back by `serve logs`.
import path from 'node:path';
import { errorMessage } from '../common/errors.js';
import { RotatingLog } from './rotating-log.js';

export class LogFiles {
  private files = new Map<string, RotatingLog>();
  /** Components whose file could not be opened or written: their lines are dropped. */
  private refused = new Set<string>();
  private closed = false;

  /**
   * `onError` hears, once per component, why its file is no longer written (a link where the
   * file should be, a full disk): a log that cannot be written must not stop the cluster.
   */
  constructor(
    readonly dir: string,
    private readonly maxBytes = 10 * 1024 * 1024,
    private readonly onError: (message: string) => void = (m) => process.stderr.write(`serve: warning: ${m}\n`),
  ) {}

  /** Appends one line to <dir>/<component>.log; after close() lines are dropped (no file is reopened). */
  write(component: string, line: string): void {
    if (this.closed || this.refused.has(component)) return;
    let f = this.files.get(component);
    try {
      if (!f) {
        f = new RotatingLog(path.join(this.dir, `${component}.log`), this.maxBytes);
        this.files.set(component, f);
      }
      f.write(line);
    } catch (err) {
      f?.close();
      this.files.delete(component);
      this.refused.add(component);
      this.onError(`lines of ${component} are no longer logged: ${errorMessage(err)}`);
    }
  }

  close(): void {
    this.closed = true;
    for (const f of this.files.values()) f.close();
    this.files.clear();
  }
}
