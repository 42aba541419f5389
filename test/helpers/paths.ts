// Paths tests need: the repository root and the compiled CLI entry (works from any outDir).
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
/** <outDir> (dist/ or dist-<area>/): this file is <outDir>/test/helpers/paths.js. */
export const outDir = path.resolve(here, '..', '..');
/** The repository root (holds package.json, profiles/, node_modules/). */
export const repoRoot = path.resolve(outDir, '..');
/** Compiled CLI entry; run it as `node <cliEntry> <args>` in tests. */
export const cliEntry = path.join(outDir, 'src', 'cli', 'main.js');
