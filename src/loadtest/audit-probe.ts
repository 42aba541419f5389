// The self-audit's probe (loadtest, shell): the event-loop delay of the thread sending the load
// (perf_hooks), the host's load average, and the largest connection backlog seen in progress.
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AuditProbe } from './audit.js';
import type { ProgressSnapshot } from './types.js';

export interface AuditWatch {
  progress(p: ProgressSnapshot): void;
  /** Stops the monitor and returns what it saw during the measured phase. */
  stop(): AuditProbe;
}

/**
 * Starts watching; `onThisThread` false (worker threads) leaves the event-loop delay unmeasured.
 * The monitor starts with the first progress snapshot of the measured phase, a second in; with
 * `measuredFromStart` (a run without warmup, such as one of tune's short windows) it starts now.
 */
export function startAuditProbe(onThisThread: boolean, measuredFromStart = false): AuditWatch {
  // 10 ms resolution: the histogram records how late each 10 ms timer fired.
  const monitor = onThisThread ? monitorEventLoopDelay({ resolution: 10 }) : undefined;
  let measuring = measuredFromStart;
  if (measuring) monitor?.enable();
  let maxBacklog = 0;
  return {
    progress(p) {
      // Warmup is not judged: start the monitor with the measured phase.
      if (p.phase === 'run' && !measuring) {
        measuring = true;
        monitor?.enable();
      }
      if (p.phase === 'run') maxBacklog = Math.max(maxBacklog, p.backlog);
    },
    stop() {
      monitor?.disable();
      const has = monitor !== undefined && monitor.count > 0;
      // The histogram is in nanoseconds and includes the 10 ms resolution itself: subtract it.
      const lagMs = (ns: number) => Math.max(0, ns / 1e6 - 10);
      return {
        eventLoopDelayP99Ms: has ? lagMs(monitor.percentile(99)) : null,
        eventLoopDelayMaxMs: has ? lagMs(monitor.max) : null,
        loadAverage1m: loadavg()[0] ?? 0,
        cpuCount: availableParallelism(),
        maxBacklog,
      };
    },
  };
}
