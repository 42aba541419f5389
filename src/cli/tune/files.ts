// The files `serve tune` writes (cli): the tuned profile (checked as `serve validate` would) and the
// HTML page, each replaced atomically, with a check before tuning that they can be written.
import path from 'node:path';
import { DiskFullError, PendingFile, replaceFile } from '../../common/atomic-write.js';
import { UserError, errorMessage } from '../../common/errors.js';
import type { Profile } from '../../profile/types.js';
import { checkWritten, tunedProfileText } from '../../tune/profile-writer.js';
import type { TuneReport } from '../../tune/types.js';
import type { WritePlan } from '../../tune/write-guard.js';

/** Writes the recommended profile to `file` (checked as `serve validate` would first); returns what it changed. */
export async function writeProfile(
  file: string,
  text: string,
  profile: Profile,
  report: TuneReport,
  o: { allowCapacityChange: boolean; comment: readonly string[] },
): Promise<Omit<WritePlan, 'edits'>> {
  const out = tunedProfileText(text, profile, report.recommendation!, file, o);
  checkWritten(out.text, path.resolve(file));
  await writeAtomically(file, out.text);
  return { changes: out.changes, kept: out.kept };
}

/** Checks before tuning that `file` can be written: its temporary file is created and removed. */
export async function checkWritable(file: string): Promise<void> {
  try {
    PendingFile.open(path.resolve(file)).discard();
  } catch (err) {
    if (err instanceof DiskFullError) throw err;
    throw new UserError(
      `${file}: cannot write the file (` +
        `${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}): pick a folder you ` +
        `can write`,
    );
  }
}

/** Replaces `file` atomically (replaceFile); a full disk is a DiskFullError naming the folder. */
export async function writeAtomically(file: string, content: string): Promise<void> {
  replaceFile(path.resolve(file), content);
}
