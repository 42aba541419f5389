// How the supervised child words its reasons (control plane, pure): one line of a long error, and a
// wait as people read it. supervised-child.ts puts both into status reasons and reports.

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
