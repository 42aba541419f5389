#!/usr/bin/env node
// The `serve` executable: only loads the compiled CLI (run `npm run build` first; `npm test` builds too).
import '../dist/src/cli/main.js';
