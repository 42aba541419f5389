// What the controller writes in its state directory besides the pid file (control plane): the log
// files of every component, its own logger, and state.json and the targets file through retried
// writes. A full disk is reported (stderr, controller.log, `serve status`) and never stops the cluster.
import { every, type Clock } from '../../common/clock.js';
import type { WriteFailure } from '../../common/cluster-status.js';
import { createLogger, type Logger } from '../../common/log.js';
import { LogFiles } from './log-files.js';
import { RetriedWrites, WRITE_RETRY_MS } from './write-retry.js';

export class ControllerFiles {
  readonly logs: LogFiles;
  /** The controller's own logger (logs/controller.log). */
  readonly log: Logger;
  private readonly writes: RetriedWrites;
  private readonly stopResuming: () => void;

  constructor(logsDir: string, clock: Clock) {
    this.logs = new LogFiles(logsDir);
    const log = (this.log = createLogger(
      { component: 'controller' },
      { write: (l) => this.logs.write('controller', l) },
    ));
    this.writes = new RetriedWrites(clock, (line, warn) => {
      process.stderr.write(`serve: ${warn ? 'warning: ' : ''}${line}\n`);
      log[warn ? 'warn' : 'info'](line);
    });
    // A log is retried at its next line, and every second (its component may have gone quiet).
    this.stopResuming = every(clock, WRITE_RETRY_MS, () => this.logs.resume(), { unref: true });
  }

  /** Appends a line to logs/<component>.log (LogFiles: whole lines, a full disk counted). */
  write(component: string, line: string): void {
    this.logs.write(component, line);
  }

  /** Writes `file` with `write` now, or reports it and retries it until it succeeds (RetriedWrites); never throws. */
  attempt(file: string, write: () => void): boolean {
    return this.writes.attempt(file, write);
  }

  /** The files not written now, for `serve status`. */
  failures(): WriteFailure[] {
    return [...this.writes.failures(), ...this.logs.failures()];
  }

  /** Stops the retries and closes the logs (the state directory is being released). */
  close(): void {
    this.stopResuming();
    this.writes.close();
    this.logs.close();
  }
}
