// The output of a detached controller (control plane): its stdout and stderr go to logs/up.log
// through LogFiles, so up.log is rotated at the same size as every other log (it collected every
// run before) and a full disk drops whole lines, counted, instead of killing the controller.
import { LogFiles } from './log-files.js';

/** The component name, so the file is logs/up.log and `serve logs up` reads it. */
export const UP_LOG = 'up';

/**
 * From now on, whatever this process writes to process.stdout or process.stderr is appended to
 * <logsDir>/up.log a whole line at a time (a partial line waits for its newline, or for exit).
 * Returns a function that restores both streams. The file descriptors the starter gave the process
 * (up.log as it was then) keep only what Node itself writes outside these streams (a fatal crash).
 */
export function captureOutput(logsDir: string, maxBytes?: number): () => void {
  // Its own complaints would come back here: the next line written says how many lines were dropped.
  const files = new LogFiles(logsDir, maxBytes, () => undefined);
  const restores = [hook(process.stdout, files), hook(process.stderr, files)];
  const flushAll = () => {
    for (const r of restores) r.flush();
  };
  process.once('exit', flushAll);
  return () => {
    process.off('exit', flushAll);
    flushAll();
    for (const r of restores) r.restore();
    files.close();
  };
}

function hook(stream: NodeJS.WriteStream, files: LogFiles): { flush(): void; restore(): void } {
  // Kept only to be put back as it was (restore); never called detached.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = stream.write;
  let partial = '';
  // A write from inside a write (none expected) is dropped rather than recursing.
  let busy = false;
  stream.write = ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown): boolean => {
    const done = typeof encoding === 'function' ? encoding : typeof cb === 'function' ? cb : undefined;
    if (!busy) {
      busy = true;
      try {
        partial += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
          files.write(UP_LOG, partial.slice(0, nl + 1));
          partial = partial.slice(nl + 1);
        }
      } finally {
        busy = false;
      }
    }
    if (done) process.nextTick(done as () => void);
    return true;
  }) as typeof stream.write;
  return {
    flush() {
      if (partial) files.write(UP_LOG, partial);
      partial = '';
    },
    restore() {
      stream.write = original;
    },
  };
}
