// The log files of a cluster (control plane): one rotating file per component under
// <state-dir>/logs/ (controller.log, gateway.log, replica-1.log ..., up.log of a detached controller),
// read back by `serve logs`. A full disk drops lines, counted, and logging resumes when space returns.
import path from 'node:path';
import type { WriteFailure } from '../../common/cluster-status.js';
import { diskErrorCode } from '../../common/atomic-write.js';
import { errorMessage } from '../../common/errors.js';
import { RotatingLog } from './rotating-log.js';

/** A component whose lines are being dropped because its disk refuses them. */
interface Dropping {
  error: string;
  since: string;
  droppedLines: number;
}

export class LogFiles {
  private files = new Map<string, RotatingLog>();
  /** Components whose file cannot be opened safely (a link where it should be): their lines are dropped for good. */
  private refused = new Set<string>();
  /** Components whose disk is full or failing: tried again at each line. */
  private dropping = new Map<string, Dropping>();
  private closed = false;

  /**
   * `onError` hears why a component's file is not written (a link where the file should be, a full
   * disk) and, after a full disk, that it is written again: a log that cannot be written must not
   * stop the cluster.
   */
  constructor(
    readonly dir: string,
    private readonly maxBytes = 10 * 1024 * 1024,
    private readonly onError: (message: string) => void = (m) => process.stderr.write(`serve: warning: ${m}\n`),
    private readonly wallNow: () => Date = () => new Date(),
  ) {}

  /**
   * Appends one line to <dir>/<component>.log, whole or not at all; after close() lines are dropped
   * (no file is reopened). While the disk refuses lines they are counted; the first line written
   * afterwards is preceded by one saying how many were dropped.
   */
  write(component: string, line: string): void {
    if (this.closed || this.refused.has(component)) return;
    let f = this.files.get(component);
    try {
      if (!f) {
        f = new RotatingLog(path.join(this.dir, `${component}.log`), this.maxBytes);
        this.files.set(component, f);
      }
      const gap = this.dropping.get(component);
      // The count and the line in one write: both whole, or neither (then the count goes on).
      f.write(gap ? `${this.droppedLine(component, gap)}\n${line}` : line);
      if (gap) {
        this.dropping.delete(component);
        this.onError(
          `lines of ${component} are logged again; ${gap.droppedLines} were dropped while ` + `the disk refused them`,
        );
      }
    } catch (err) {
      if (diskErrorCode(err) !== undefined) return this.drop(component, err);
      f?.close();
      this.files.delete(component);
      this.refused.add(component);
      this.onError(`lines of ${component} are no longer logged: ${errorMessage(err)}`);
    }
  }

  /**
   * Tries to write the "N lines dropped" line of every log that is dropping lines, so a log whose
   * component has gone quiet (a replica that stopped) is whole again without waiting for its next line.
   */
  resume(): void {
    for (const [component, gap] of [...this.dropping]) {
      const f = this.files.get(component);
      if (this.closed || !f) continue;
      try {
        f.write(this.droppedLine(component, gap));
      } catch {
        continue;
      }
      this.dropping.delete(component);
      this.onError(
        `lines of ${component} are logged again; ${gap.droppedLines} were dropped while ` + `the disk refused them`,
      );
    }
  }

  /** Logs whose lines are being dropped now, for `serve status`. */
  failures(): WriteFailure[] {
    return [...this.dropping].map(([component, d]) => ({
      file: path.join(this.dir, `${component}.log`),
      error: d.error,
      since: d.since,
      failures: d.droppedLines,
      droppedLines: d.droppedLines,
    }));
  }

  close(): void {
    this.closed = true;
    for (const f of this.files.values()) f.close();
    this.files.clear();
  }

  private drop(component: string, err: unknown): void {
    const gap = this.dropping.get(component);
    if (gap) {
      gap.droppedLines++;
      gap.error = errorMessage(err);
      return;
    }
    this.dropping.set(component, { error: errorMessage(err), since: this.wallNow().toISOString(), droppedLines: 1 });
    this.onError(`lines of ${component} are dropped until the disk takes them again: ` + `${errorMessage(err)}`);
  }

  /** The line written when logging resumes, in the JSON form of every other log line. */
  private droppedLine(component: string, gap: Dropping): string {
    return JSON.stringify({
      ts: this.wallNow().toISOString(),
      level: 'warn',
      component: 'serve',
      msg:
        `${gap.droppedLines} ${gap.droppedLines === 1 ? 'line' : 'lines'} of ` +
        `${component} dropped: the disk refused them`,
      droppedLines: gap.droppedLines,
      since: gap.since,
      error: gap.error,
    });
  }
}
