// `npm run docs` (cli docs, not part of the `serve` command): writes docs/reference/*.md from the code.
// Usage: node dist/src/cli/docs/gen-docs.js [OUT_DIR]   (default: docs/reference of this checkout)
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { referencePages } from './pages.js';

/** docs/reference of the checkout this module was compiled in (dist/src/cli/docs → the root). */
const referenceDir = fileURLToPath(new URL('../../../../docs/reference/', import.meta.url));

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? referenceDir);
  const pages = await referencePages();
  await mkdir(outDir, { recursive: true });
  for (const [name, text] of pages) await writeFile(path.join(outDir, name), text);
  // Every page here is generated: one the generator does not make is stale or hand-written.
  for (const name of await readdir(outDir)) {
    if (name.endsWith('.md') && !pages.has(name))
      process.stderr.write(
        `serve docs: warning: ${path.join(outDir, name)} is not generated: remove it or ` +
          `add it to src/cli/docs/pages.ts\n`,
      );
  }
  process.stdout.write(
    `wrote ${[...pages.keys()].join(', ')} to ` + `${path.relative(process.cwd(), outDir) || '.'}\n`,
  );
}

await main();
