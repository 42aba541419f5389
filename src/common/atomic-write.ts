// Replacing a file atomically (common, every plane): a temporary file beside the target, written
// whole, fsync'ed, renamed over the target; the temporary file is removed on any failure, and a full
// or failing disk is reported as DiskFullError naming the directory. The one way serve replaces a file.
import { closeSync, constants, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { UserError } from './errors.js';
import { removeEntry } from './no-follow.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_RDONLY } = constants;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** errno codes that mean the disk, not the caller, is the problem. */
const DISK_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EIO']);

/** A write refused by the disk (ENOSPC, EDQUOT, EIO): one line naming the directory; exit 2 in the CLI. */
export class DiskFullError extends UserError {
  constructor(
    /** The file that could not be written. */
    readonly file: string,
    /** ENOSPC, EDQUOT or EIO. */
    readonly code: string,
    cause?: unknown,
  ) {
    const dir = path.dirname(file);
    const state = code === 'EIO' ? 'is full or failing (EIO, an I/O error)' : `is full (${code}, no space left)`;
    super(
      `the disk holding ${dir} ${state}: cannot write ${path.basename(file)}; free ` + `some space there and try again`,
      { cause },
    );
    this.name = 'DiskFullError';
  }

  /** The directory whose disk is full. */
  get dir(): string {
    return path.dirname(this.file);
  }
}

/** The errno code of `err` when it is a disk failure (ENOSPC, EDQUOT, EIO), else undefined. */
export function diskErrorCode(err: unknown): string | undefined {
  if (err instanceof DiskFullError) return err.code;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && DISK_CODES.has(code) ? code : undefined;
}

/** `err` as a DiskFullError for `file` when it is a disk failure; any other error unchanged. */
export function asDiskError(err: unknown, file: string): unknown {
  if (err instanceof DiskFullError) return err;
  const code = diskErrorCode(err);
  return code === undefined ? err : new DiskFullError(file, code, err);
}

let sequence = 0;

/**
 * A temporary file beside `target` (`.<name>.<pid>.<n>.tmp`, hidden, so globs such as `*.json` or
 * `*.yml` never pick it up), created exclusively and without following a link. Write it, then
 * commit() (rename over the target) or finish() (keep it, for link(2)); discard() removes it.
 * Every failure removes the temporary file and throws, a disk failure as DiskFullError.
 */
export class PendingFile {
  readonly temp: string;
  private fd: number;

  private constructor(
    readonly target: string,
    mode: number,
  ) {
    this.temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${sequence++}.tmp`);
    this.fd = openTemp(this.temp, target, mode);
  }

  /** Creates the temporary file for `target` (mode 0666 less the umask unless given). */
  static open(target: string, opts: { mode?: number } = {}): PendingFile {
    return new PendingFile(target, opts.mode ?? 0o666);
  }

  /** Appends all of `data` (a short write is continued); on failure the file is discarded. */
  write(data: string | Uint8Array): void {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    this.guard(() => {
      for (let off = 0; off < buf.length;) {
        const n = writeSync(this.fd, buf, off, buf.length - off);
        if (n <= 0) throw Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC' });
        off += n;
      }
    });
  }

  /** fsync and close, keeping the temporary file (the caller links it and then discards it). */
  finish(): void {
    this.guard(() => {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
    });
  }

  /** fsync, close and rename over the target: readers see the old file or the new one, never half. */
  commit(): void {
    if (this.fd >= 0) this.finish();
    this.guard(() => renameSync(this.temp, this.target));
    syncDir(path.dirname(this.target));
  }

  /** Closes and removes the temporary file; idempotent, never throws. */
  discard(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // Closing can report a delayed write error; the file goes anyway.
      }
      this.fd = -1;
    }
    try {
      unlinkSync(this.temp);
    } catch {
      // Already renamed into place, or never created.
    }
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.discard();
      throw asDiskError(err, this.target);
    }
  }
}

/**
 * Replaces `target` with `data` atomically: a temporary file beside it, written whole, fsync'ed and
 * renamed over it (rename(2) replaces a link at `target`, never writes through it). On any failure the
 * temporary file is removed and the target is left as it was; a full or failing disk throws DiskFullError.
 */
export function replaceFile(target: string, data: string | Uint8Array, opts: { mode?: number } = {}): void {
  const f = PendingFile.open(target, opts);
  try {
    f.write(data);
    f.commit();
  } catch (err) {
    f.discard();
    throw err;
  }
}

/**
 * Creates `temp` exclusively without following a link. Something already there (left by a dead
 * process that had our pid, or a link planted there) is removed, never followed, and the create tried once more.
 */
function openTemp(temp: string, target: string, mode: number): number {
  for (let attempt = 0; ; attempt++) {
    try {
      return openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw asDiskError(err, target);
      removeEntry(temp);
    }
  }
}

/** fsync of a directory, so a rename in it survives a power cut; best effort (not every system allows it). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, O_RDONLY);
    fsyncSync(fd);
  } catch {
    // A directory that cannot be fsync'ed (some file systems, Windows): the rename stands anyway.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** True for the temporary files PendingFile makes for `name` (of any process). */
export function isTempOf(name: string, entry: string): { pid: number } | undefined {
  const m = /^\.(.+)\.(\d+)\.\d+\.tmp$/.exec(entry);
  return m && m[1] === name ? { pid: Number(m[2]) } : undefined;
}
