// The generated reference pages (cli docs): file name under docs/reference/ → its text. The docs
// generator writes them; a test renders them in memory and compares them with the files.
import { buildProgram } from '../program.js';
import { renderCliReference } from './cli-reference.js';
import { renderExitCodesReference } from './exit-codes-reference.js';
import { renderMetricsReference } from './metrics-reference.js';
import { renderProfileReference } from './profile-reference.js';
import { renderWireReference } from './wire-reference.js';

/** Every page, sorted by file name. Building the program loads every command's module (a few seconds). */
export async function referencePages(): Promise<Map<string, string>> {
  const program = await buildProgram();
  const pages: Array<[string, string]> = [
    ['cli.md', renderCliReference(program)],
    ['exit-codes.md', renderExitCodesReference()],
    ['metrics.md', renderMetricsReference()],
    ['profile.md', renderProfileReference()],
    ['wire.md', renderWireReference()],
  ];
  return new Map(pages.map(([name, text]) => [name, text.trimEnd() + '\n']));
}
