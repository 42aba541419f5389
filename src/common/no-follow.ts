// Files opened without following symbolic links (common): for a directory that only its owner
// writes (the state directory), so that a link planted in it never redirects a write or a read.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, unlinkSync, type Stats } from 'node:fs';
import { UserError } from './errors.js';

const { O_RDONLY, O_WRONLY, O_APPEND, O_CREAT, O_EXCL } = constants;
// Both are missing on Windows, which has no symbolic links of this kind to guard against.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
// A FIFO where a file should be would block open() until someone opens the other end; with
// O_NONBLOCK the open returns at once and the file is refused below. No effect on regular files.
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** The one-line refusal for `file` (a link, or something else that is not a regular file), with the fix. */
function refusal(file: string, link: boolean): UserError {
  return new UserError(
    link
      ? `${file} is a symbolic link, and serve never follows links in its state ` + `directory: remove it`
      : `${file} is not a regular file: remove it`,
  );
}

/** True for the errno open(O_NOFOLLOW) gives on a symbolic link (ELOOP; EMLINK on FreeBSD). */
function isLinkError(err: unknown): boolean {
  return codeOf(err) === 'ELOOP' || codeOf(err) === 'EMLINK';
}

/** Throws a refusal if `st` (lstat or fstat of `file`) is not a regular file; `fd` is closed first. */
function requireRegular(file: string, st: Stats, fd?: number): void {
  if (st.isFile()) return;
  if (fd !== undefined) closeSync(fd);
  throw refusal(file, st.isSymbolicLink());
}

/** Turns an open() failure into a refusal where it was a link; other errors pass through. */
function rethrow(file: string, err: unknown): never {
  if (isLinkError(err)) throw refusal(file, true);
  throw err;
}

/**
 * Opens `file` for appending: an existing regular file of ours as it is, or a new one created
 * exclusively (O_CREAT|O_EXCL) with `mode`. Never follows a link; throws a UserError for a link,
 * anything but a regular file, or a file owned by another user.
 */
export function openAppend(file: string, mode = 0o600): number {
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK);
    } catch (err) {
      if (codeOf(err) !== 'ENOENT') rethrow(file, err);
      try {
        return openSync(file, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
      } catch (err2) {
        // Created by someone else between the two opens: open it as an existing file.
        if (codeOf(err2) === 'EEXIST' && attempt < 2) continue;
        rethrow(file, err2);
      }
    }
    const st = fstatSync(fd);
    requireRegular(file, st, fd);
    const uid = process.geteuid?.();
    if (uid !== undefined && st.uid !== uid) {
      closeSync(fd);
      throw new UserError(
        `${file} belongs to uid ${st.uid}, not to you (uid ${uid}): serve writes only ` + `files of its own; remove it`,
      );
    }
    return fd;
  }
}

/**
 * Opens a regular file for reading without following a link; undefined if it does not exist.
 * Throws a UserError for a link or anything but a regular file.
 */
export function openRead(file: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return undefined;
    rethrow(file, err);
  }
  requireRegular(file, fstatSync(fd), fd);
  return fd;
}

/** lstat of `file` (a link is described, not followed), or undefined if nothing is there. */
export function lstatIfAny(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Removes whatever non-directory entry is at `file` (unlink(2) removes a link itself, never what it
 * points to); nothing there is fine. A directory there is a UserError naming it.
 */
export function removeEntry(file: string): void {
  if (lstatIfAny(file)?.isDirectory())
    throw new UserError(`${file} is a directory where serve keeps a file: remove it`);
  try {
    unlinkSync(file);
  } catch (err) {
    if (codeOf(err) !== 'ENOENT') throw err;
  }
}

/**
 * Throws the refusal if what is at `file` is a link or anything but a regular file (a unix socket
 * too, where `socketOk`); nothing there is fine. Looks with lstat, so a link is never followed.
 */
export function requireRegularIfAny(file: string, socketOk = false): void {
  const st = lstatIfAny(file);
  if (st && !(socketOk && st.isSocket())) requireRegular(file, st);
}

/** A small file's text (at most `maxBytes`), read without following a link; a link or anything unreadable: undefined. */
export function readSmallFile(file: string, maxBytes = 4096): string | undefined {
  let fd: number | undefined;
  try {
    fd = openRead(file);
    if (fd === undefined) return undefined;
    const buf = Buffer.alloc(Math.min(fstatSync(fd).size, maxBytes));
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
