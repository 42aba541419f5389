// Small helpers for printing command results (cli): JSON for machines, text for people.

/** Prints `data` as pretty JSON on stdout. */
export function printJson(data: unknown): void {
  process.stdout.write(JSON.stringify(data, null, 2) + '\n');
}

/** True when stdout is an interactive terminal (progress lines and spinners only then). */
export function isTty(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.CI;
}
