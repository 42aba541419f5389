// Writes a planned export under --out (export plane, the shell): folders as needed, generated
// text and copies of the registry's model files. Existing files of the same names are replaced.
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError, errorMessage } from '../common/errors.js';
import type { ExportPlan } from './types.js';

/** One file written: its path relative to --out, its size and what it is. */
export interface WrittenFile {
  path: string;
  bytes: number;
  what: string;
}

/** Writes every file of `plan` under `outDir`; a folder that cannot be written is a UserError naming it. */
export async function writeExport(plan: ExportPlan, outDir: string): Promise<WrittenFile[]> {
  const written: WrittenFile[] = [];
  for (const f of plan.files) {
    const target = path.join(outDir, f.path);
    try {
      await mkdir(path.dirname(target), { recursive: true });
      if ('text' in f) await writeFile(target, f.text);
      else await copyFile(f.copyFrom, target);
    } catch (err) {
      throw new UserError(`cannot write ${target}: ${errorMessage(err)} (pass --out with a folder you can write)`);
    }
    written.push({ path: f.path, bytes: (await stat(target)).size, what: f.what });
  }
  return written;
}
