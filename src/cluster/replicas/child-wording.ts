// How the supervised child words its reasons (control plane, pure): one line of a long error, a
// wait as people read it, and how a process ended. supervised-child.ts puts the first two into
// status reasons and reports; slot-process.ts logs the last.

/** The first non-empty line of `text` (a stack or a tool's report would swamp a status line). */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? text.trim()
  );
}

/** "5m", "30s", "1.5s": a wait for people. */
export function formatWait(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${+(ms / 1000).toFixed(1)}s`;
  return `${Math.round(ms)}ms`;
}

/**
 * How a replica's process ended, for logs and reasons: its exit code or signal, or, for one whose
 * host could not be reached (no exit status came back), that, with why; such a replica exits there
 * by itself once its heartbeats stop.
 */
export function exitWording(info: { code: number | null; signal: string | null; lost?: string }): string {
  if (info.lost !== undefined)
    return `its host could not be reached, so its end is not known (${info.lost}); it exits there by itself when heartbeats stop`;
  return info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`;
}
