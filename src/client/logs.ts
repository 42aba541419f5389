// Reading a cluster's logs back for `serve logs` (control plane): the last lines of each
// component's file, merged by timestamp and prefixed with the component; and following them.
// Reads only regular files inside logs/: never through a link, never a path made of a name.
import { closeSync, fstatSync, lstatSync, readSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors.js';
import { lstatIfAny, openRead } from '../common/no-follow.js';

/** True for a name a component can have (controller, gateway, replica-2, up): no slash, no dots. */
export function isComponentName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name);
}

/** <logsDir>/<component>.log; throws for a name that could point anywhere else (`../x`, `a/b`). */
export function componentLogFile(logsDir: string, component: string): string {
  if (!isComponentName(component))
    throw new UserError(`"${component}" is not a component name: use controller, gateway or replica-N`);
  return path.join(logsDir, `${component}.log`);
}

/**
 * Components that have a log file in `logsDir` (controller, gateway, replica-1 ...). Throws a
 * UserError if logs/ is a link or not a directory: its files would not be the state directory's.
 */
export function logComponents(logsDir: string): string[] {
  const st = lstatIfAny(logsDir);
  if (!st) return [];
  if (st.isSymbolicLink())
    throw new UserError(
      `${logsDir} is a symbolic link, and serve never follows links in its state ` + `directory: remove it`,
    );
  if (!st.isDirectory()) throw new UserError(`${logsDir} is not a directory: remove it`);
  return readdirSync(logsDir)
    .filter((f) => f.endsWith('.log') && isComponentName(f.slice(0, -4)))
    .map((f) => f.slice(0, -4))
    .sort(componentOrder);
}

function componentOrder(a: string, b: string): number {
  const rank = (c: string) => (c === 'controller' ? 0 : c === 'gateway' ? 1 : 2);
  const num = (c: string) => Number(/(\d+)$/.exec(c)?.[1] ?? 0);
  return rank(a) - rank(b) || num(a) - num(b) || a.localeCompare(b);
}

/** Bytes [from, to) of an open file as text. */
function readFd(fd: number, from: number, to: number): string {
  const buf = Buffer.alloc(Math.max(0, to - from));
  const n = readSync(fd, buf, 0, buf.length, from);
  return buf.subarray(0, n).toString('utf8');
}

/**
 * Bytes [from, to) of a regular file as text ('' if it is not there). Opened with O_NOFOLLOW and
 * checked by fstat: a link or anything but a regular file is a UserError, never read.
 */
function readRange(file: string, from: number, to: number): string {
  const fd = openRead(file);
  if (fd === undefined) return '';
  try {
    return readFd(fd, from, to);
  } finally {
    closeSync(fd);
  }
}

/** The last `n` lines of a file (reads at most the last 4 MiB); a link there is a UserError. */
export function tailLines(file: string, n: number): string[] {
  const fd = openRead(file);
  if (fd === undefined) return [];
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(0, size - 4 * 1024 * 1024);
    const lines = readFd(fd, from, size).split('\n');
    if (from > 0) lines.shift();
    if (lines.at(-1) === '') lines.pop();
    return n <= 0 ? [] : lines.slice(-n);
  } finally {
    closeSync(fd);
  }
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
    for (const line of tailLines(componentLogFile(logsDir, c), n))
      all.push({ component: c, line, ts: timestampOf(line) });
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
    return `${prefix}${time} ${text(level).padEnd(5)} ${text(msg)}` + `${extras ? ' ' + extras : ''}`;
  } catch {
    return prefix + l.line;
  }
}

/**
 * Follows the files: calls `onLine` for each line appended after now, every `pollMs`. When a file
 * was rotated (a new inode, or it shrank), the rest of the old one (now <file>.1) is read first,
 * then the new one from its start, so no line is lost. A link (or other non-file) that takes a
 * file's place is skipped, never read. Returns a function that stops following.
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
      const st = lstatSync(file);
      return st.isFile() ? { ino: st.ino, size: st.size } : undefined;
    } catch {
      return undefined;
    }
  };
  // A link swapped in between lstat and open is refused by openRead: then there is nothing to read.
  const read = (file: string, from: number, to: number) => {
    try {
      return readRange(file, from, to);
    } catch {
      return '';
    }
  };
  const emit = (c: string, text: string) => {
    const lines = ((partial.get(c) ?? '') + text).split('\n');
    partial.set(c, lines.pop() ?? '');
    for (const line of lines) if (line) onLine({ component: c, line, ts: timestampOf(line) });
  };
  for (const c of components()) {
    const st = statOf(componentLogFile(logsDir, c));
    if (st) seen.set(c, { ino: st.ino, offset: st.size });
  }
  const timer = setInterval(() => {
    for (const c of components().filter(isComponentName)) {
      const file = componentLogFile(logsDir, c);
      const st = statOf(file);
      if (!st) continue;
      const prev = seen.get(c);
      let from = prev?.offset ?? 0;
      if (prev && (prev.ino !== st.ino || st.size < prev.offset)) {
        // Rotated: what was written to the old file since the last poll is now in <file>.1.
        const old = statOf(`${file}.1`);
        if (old && old.ino === prev.ino && old.size > prev.offset) emit(c, read(`${file}.1`, prev.offset, old.size));
        from = 0;
      }
      seen.set(c, { ino: st.ino, offset: st.size });
      if (st.size > from) emit(c, read(file, from, st.size));
    }
  }, pollMs);
  return () => clearInterval(timer);
}

/** A log field as text: strings as they are, anything else as JSON, a missing one empty. */
function text(v: unknown): string {
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
}
