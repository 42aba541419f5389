// docs/reference/*.md are generated from the code (`npm run docs`); this fails when one is stale, so
// the reference cannot drift from the CLI, the profile schema, the metrics, the exit codes or the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { referencePages } from '../../src/cli/docs/pages.js';
import { repoRoot } from '../helpers/paths.js';

const dir = path.join(repoRoot, 'docs', 'reference');
const pages = await referencePages();

test('docs/reference holds exactly the generated pages, each as npm run docs writes it', async () => {
  const onDisk = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.md')).sort();
  const stale: string[] = [];
  for (const [name, text] of pages) {
    const file = await readFile(path.join(dir, name), 'utf8').catch(() => undefined);
    if (file === undefined) stale.push(`${name} is missing`);
    else if (file !== text) stale.push(`${name} differs from the code${firstDifference(file, text)}`);
  }
  for (const name of onDisk)
    if (!pages.has(name)) stale.push(`${name} is not generated (remove it, or add it to src/cli/docs/pages.ts)`);
  assert.deepEqual(
    stale,
    [],
    `docs/reference is stale: run \`npm run docs\` and commit the result.\n${stale.join('\n')}`,
  );
});

test('the generated pages depend on nothing of this machine', () => {
  for (const [name, text] of pages) {
    assert.ok(!text.includes(repoRoot), `${name} contains the checkout's path ${repoRoot}`);
    // A short host name ("ci") could be any word; a long one in the text is this machine's.
    const host = os.hostname();
    if (host.length >= 8)
      assert.ok(
        !new RegExp(`\\b${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(text),
        `${name} contains the host name ${host}`,
      );
    assert.doesNotMatch(text, /\d{4}-\d\d-\d\dT\d\d:\d\d/, `${name} contains a timestamp`);
  }
});

function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  const i = la.findIndex((l, k) => l !== lb[k]);
  const at = i < 0 ? Math.min(la.length, lb.length) : i;
  return ` at line ${at + 1}:\n    file: ${la[at] ?? '(end)'}\n    code: ${lb[at] ?? '(end)'}`;
}
