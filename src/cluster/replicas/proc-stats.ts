// Per-process resource readings from /proc (control plane): RSS for the memory limit, CPU time for
// `serve status`. Linux only; elsewhere the readings are undefined and the checks are skipped.
import { readFile } from 'node:fs/promises';

/** Resident set size in bytes (VmRSS of /proc/<pid>/status), or undefined if unreadable. */
export async function readRssBytes(pid: number): Promise<number | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time used so far (user + system) in milliseconds, from /proc/<pid>/stat. */
export async function readCpuTimeMs(pid: number): Promise<number | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SEC : undefined;
  } catch {
    return undefined;
  }
}

// USER_HZ is 100 on every Linux that Node supports.
const CLOCK_TICKS_PER_SEC = 100;

/** Turns two CPU-time readings into a percentage of one core over the wall time between them. */
export function cpuPercent(prevCpuMs: number, nowCpuMs: number, wallMs: number): number {
  if (!(wallMs > 0)) return 0;
  return Math.max(0, ((nowCpuMs - prevCpuMs) / wallMs) * 100);
}

/** RSS and CPU% of one process, read from /proc at each probe period (clock time between readings). */
export class ProcessReadings {
  rssBytes: number | undefined;
  /** Share of one core since the previous reading, in percent. */
  cpuPercent: number | undefined;
  private last: { cpuMs: number; atMs: number; pid: number } | undefined;

  constructor(private readonly clock: { nowMs(): number }) {}

  /** Reads `pid` now; returns the RSS (undefined where /proc cannot be read). */
  async read(pid: number): Promise<number | undefined> {
    const [rss, cpuMs] = await Promise.all([readRssBytes(pid), readCpuTimeMs(pid)]);
    this.rssBytes = rss;
    const now = this.clock.nowMs();
    if (cpuMs !== undefined) {
      // A new process (a restart) starts a new series.
      if (this.last?.pid === pid) this.cpuPercent = cpuPercent(this.last.cpuMs, cpuMs, now - this.last.atMs);
      this.last = { cpuMs, atMs: now, pid };
    }
    return rss;
  }
}

export { readCmdline, readStartTicks } from '../../common/process.js';
