// The result files of `serve bench` (cli): --junit, --hgrm, --html and the streamed --hdr-log, each
// written under a temporary name beside its target and renamed into place at the end.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DiskFullError, PendingFile } from '../../common/atomic-write.js';
import { UserError } from '../../common/errors.js';
import { hdrLogHeader, hdrLogLine, type IntervalSample } from '../../loadtest/index.js';

/**
 * An output file written under a temporary name in its own folder and renamed into place at the
 * end (common/atomic-write's PendingFile), so an earlier result stays whole until the new one is
 * complete (and if the run fails).
 */
export interface Output {
  flag: string;
  file: string;
  pending: PendingFile;
  /** The first write that failed (the HDR log is written during the run, reported after it). */
  failure?: unknown;
}

export function cannotWrite(flag: string, file: string, err: unknown): UserError {
  // A full disk says so and names the folder; anything else names the flag.
  if (err instanceof DiskFullError) return err;
  return new UserError(`${flag} ${file}: cannot write the file (` + `${(err as { code?: string }).code ?? 'error'})`);
}

/** Checks now, before any load is sent, that `file` can be written: creates its temp file. */
export function prepareOutput(flag: string, file: string): Output {
  try {
    // An existing file is only looked at, never truncated; a folder in its place is a mistake.
    if (existsSync(file) && statSync(file).isDirectory())
      throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    return { flag, file, pending: PendingFile.open(path.resolve(file)) };
  } catch (err) {
    throw cannotWrite(flag, file, err);
  }
}

/** Writes interval histograms into the temp file as they arrive, so memory stays flat on long runs. */
export function openHdrLog(out: Output): { write(s: IntervalSample): void; close(): Promise<void> } {
  let baseEpochMs: number | undefined;
  const write = (text: string) => {
    if (out.failure !== undefined) return;
    try {
      out.pending.write(text);
    } catch (err) {
      out.failure = err;
    }
  };
  return {
    write(s) {
      const now = Date.now();
      if (baseEpochMs === undefined) {
        baseEpochMs = now - s.endMs;
        write(hdrLogHeader(baseEpochMs));
      }
      // Ramp steps restart their clocks at 0: shift each onto the log's time line.
      const shiftMs = now - s.endMs - baseEpochMs;
      write(hdrLogLine({ ...s, startMs: s.startMs + shiftMs, endMs: s.endMs + shiftMs }));
    },
    close: async () => {
      if (out.failure !== undefined) throw cannotWrite(out.flag, out.file, out.failure);
    },
  };
}

/** Runs `fn` on the output's temp file (write, or commit: fsync and rename over the real name); a failure is one line. */
export function onOutput(out: Output, fn: (p: PendingFile) => void): void {
  try {
    fn(out.pending);
  } catch (err) {
    throw cannotWrite(out.flag, out.file, err);
  }
}

/** The PEM text of --ca FILE; a file that cannot be read or holds no certificate is one line, exit 2. */
export async function readCa(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`--ca ${file}: cannot read the file (` + `${(err as { code?: string }).code ?? 'error'})`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    throw new UserError(`--ca ${file}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return text;
}
