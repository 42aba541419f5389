// Phase timings for slow system tests: each call reports, as a test diagnostic, the milliseconds
// since the previous one, so a slow run shows where its time went (npm test prints diagnostics).
/** Returns `lap(what)`, which notes `what: N ms` since the last lap (or since this call). */
export function laps(t: { diagnostic(message: string): void }): (what: string) => void {
  let last = performance.now();
  return (what) => {
    const now = performance.now();
    t.diagnostic(`${what}: ${Math.round(now - last)} ms`);
    last = now;
  };
}
