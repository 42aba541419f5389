// The controller's own files that a full disk must not turn into a crash (control plane): state.json
// and the Prometheus targets file are written through here. A failed write is reported once (the
// controller's stderr and log, `serve status`) and retried on a timer until it succeeds, the latest
// content winning; the cluster keeps serving meanwhile.
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { WriteFailure } from '../../common/cluster-status.js';
import { errorMessage } from '../../common/errors.js';

/** How often a failed write is tried again (a full disk usually stays full for a while). */
export const WRITE_RETRY_MS = 1000;

interface Failing {
  write: () => void;
  error: string;
  since: string;
  failures: number;
}

export class RetriedWrites {
  private readonly failing = new Map<string, Failing>();
  private timer: TimerHandle | undefined;
  private closed = false;

  /**
   * `report` hears the first failure of a file and its recovery, as one line each (`warn` true for
   * a failure); `wallNow` gives the times shown in `serve status`.
   */
  constructor(
    private readonly clock: Clock,
    private readonly report: (line: string, warn: boolean) => void,
    private readonly retryMs = WRITE_RETRY_MS,
    private readonly wallNow: () => Date = () => new Date(),
  ) {}

  /**
   * Runs `write` (which writes `file`) now and returns whether it succeeded; never throws. After a
   * failure it is tried again every retryMs, unless a later attempt for the same file replaces it.
   */
  attempt(file: string, write: () => void): boolean {
    if (this.closed) return false;
    try {
      write();
    } catch (err) {
      this.failed(file, write, err);
      return false;
    }
    const was = this.failing.get(file);
    if (was) {
      this.failing.delete(file);
      this.report(
        `${file} is written again (after ${was.failures} failed ` +
          `${was.failures === 1 ? 'try' : 'tries'} since ${was.since})`,
        false,
      );
    }
    return true;
  }

  /** The files failing now, for `serve status`. */
  failures(): WriteFailure[] {
    return [...this.failing].map(([file, f]) => ({ file, error: f.error, since: f.since, failures: f.failures }));
  }

  /** Stops retrying (the cluster is stopping; its files are removed). */
  close(): void {
    this.closed = true;
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private failed(file: string, write: () => void, err: unknown): void {
    const error = errorMessage(err);
    const was = this.failing.get(file);
    if (was) {
      Object.assign(was, { write, error, failures: was.failures + 1 });
    } else {
      this.failing.set(file, { write, error, since: this.wallNow().toISOString(), failures: 1 });
      this.report(
        `cannot write ${file}: ${error}; the cluster keeps running and tries again ` + `every ${this.retryMs / 1000} s`,
        true,
      );
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed || this.failing.size === 0) return;
    this.timer = this.clock.setTimer(
      () => {
        this.timer = undefined;
        for (const [file, f] of [...this.failing]) this.attempt(file, f.write);
      },
      this.retryMs,
      { unref: true },
    );
  }
}
