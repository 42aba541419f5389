#!/usr/bin/env node
// The `serve` executable: only loads the compiled CLI. A packed or installed package ships dist/src;
// in a checkout, `npm ci` (prepare) or `npm run build` compiles it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`serve: internal error: ${fileURLToPath(main)} is missing: in a checkout run \`npm run build\`; a package must be packed with \`npm pack\` (its prepack script builds)\n`);
  process.exit(70);
}
await import(main.href);
