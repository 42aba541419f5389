// Reading a cluster's logs back for `serve logs` (control plane): the last lines of each
// component's file, merged by timestamp and prefixed with the component; and following them.
import { existsSync, openSync, readSync, closeSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Components that have a log file in `logsDir` (controller, gateway, replica-1 ...). */
export function logComponents(logsDir: string): string[] {
  if (!existsSync(logsDir)) return [];
  return readdirSync(logsDir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => f.slice(0, -4))
    .sort(componentOrder);
}

function componentOrder(a: string, b: string): number {
  const rank = (c: string) => (c === 'controller' ? 0 : c === 'gateway' ? 1 : 2);
  const num = (c: string) => Number(/(\d+)$/.exec(c)?.[1] ?? 0);
  return rank(a) - rank(b) || num(a) - num(b) || a.localeCompare(b);
}

/** Reads bytes [from, to) of a file as text. */
function readRange(file: string, from: number, to: number): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, to - from));
    const n = readSync(fd, buf, 0, buf.length, from);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The last `n` lines of a file (reads at most the last 4 MiB). */
export function tailLines(file: string, n: number): string[] {
  if (!existsSync(file)) return [];
  const size = statSync(file).size;
  const from = Math.max(0, size - 4 * 1024 * 1024);
  const lines = readRange(file, from, size).split('\n');
  if (from > 0) lines.shift();
  if (lines.at(-1) === '') lines.pop();
  return n <= 0 ? [] : lines.slice(-n);
}

/** A log line with its component and sort key. */
export interface LogLine {
  component: string;
  line: string;
  ts: string | undefined;
}

/** The last `n` lines over `components`, merged in time order (stable for lines without ts). */
export function mergedTail(logsDir: string, components: readonly string[], n: number): LogLine[] {
  const all: LogLine[] = [];
  for (const c of components) {
    for (const line of tailLines(path.join(logsDir, `${c}.log`), n)) all.push({ component: c, line, ts: timestampOf(line) });
  }
  // Lines without a timestamp sort with the one before them in their own file.
  let last = '';
  const keyed = all.map((l, i) => {
    if (i > 0 && all[i - 1]!.component !== l.component) last = '';
    last = l.ts ?? last;
    return { l, key: last, i };
  });
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
  return keyed.slice(-n).map((k) => k.l);
}

function timestampOf(line: string): string | undefined {
  const m = /"ts":"([^"]+)"/.exec(line);
  return m?.[1];
}

/** Formats one line for people: `replica-1  | 14:02:07.123 warn  probe failed failures=2`. */
export function formatLogLine(l: LogLine, width: number): string {
  const prefix = `${l.component.padEnd(width)} | `;
  if (!l.line.startsWith('{')) return prefix + l.line;
  try {
    const { ts, level, msg, component: _c, ...rest } = JSON.parse(l.line) as Record<string, unknown>;
    const time = typeof ts === 'string' ? ts.slice(11, 23) : '';
    const extras = Object.entries(rest)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${prefix}${time} ${String(level ?? '').padEnd(5)} ${String(msg ?? '')}${extras ? ' ' + extras : ''}`;
  } catch {
    return prefix + l.line;
  }
}

/**
 * Follows the files: calls `onLine` for each line appended after now, every `pollMs`. When a file
 * was rotated (a new inode, or it shrank), the rest of the old one (now <file>.1) is read first,
 * then the new one from its start, so no line is lost. Returns a function that stops following.
 */
export function followLogs(
  logsDir: string,
  components: () => readonly string[],
  onLine: (l: LogLine) => void,
  pollMs = 200,
): () => void {
  const seen = new Map<string, { ino: number; offset: number }>();
  const partial = new Map<string, string>();
  const statOf = (file: string) => {
    try {
      const st = statSync(file);
      return { ino: st.ino, size: st.size };
    } catch {
      return undefined;
    }
  };
  const emit = (c: string, text: string) => {
    const lines = ((partial.get(c) ?? '') + text).split('\n');
    partial.set(c, lines.pop() ?? '');
    for (const line of lines) if (line) onLine({ component: c, line, ts: timestampOf(line) });
  };
  for (const c of components()) {
    const st = statOf(path.join(logsDir, `${c}.log`));
    if (st) seen.set(c, { ino: st.ino, offset: st.size });
  }
  const timer = setInterval(() => {
    for (const c of components()) {
      const file = path.join(logsDir, `${c}.log`);
      const st = statOf(file);
      if (!st) continue;
      const prev = seen.get(c);
      let from = prev?.offset ?? 0;
      if (prev && (prev.ino !== st.ino || st.size < prev.offset)) {
        // Rotated: what was written to the old file since the last poll is now in <file>.1.
        const old = statOf(`${file}.1`);
        if (old && old.ino === prev.ino && old.size > prev.offset) emit(c, readRange(`${file}.1`, prev.offset, old.size));
        from = 0;
      }
      seen.set(c, { ino: st.ino, offset: st.size });
      if (st.size > from) emit(c, readRange(file, from, st.size));
    }
  }, pollMs);
  return () => clearInterval(timer);
}
