// Runs package.json scripts side by side, one lane per argument (npm test's lint lane beside the
// build and the unit tests: each
// tool is mostly single-threaded, so two lanes on two cores take the time of the longer lane, not
// of the sum). `a+b` runs a then b in one lane (b only if a passed). Each script's output is
// printed whole when it ends, under its name; the exit code is the first failure's (every lane is
// waited for, so nothing is left running).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const scripts = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts;
const lanes = process.argv.slice(2).map((arg) => arg.split('+'));
const names = lanes.flat();
const unknown = names.filter((n) => !(n in scripts));
if (names.length === 0 || unknown.length > 0) {
  console.error(`scripts/parallel.mjs: no such package.json script: ${unknown.join(', ') || '(none given)'}`);
  process.exit(2);
}
const env = { ...process.env, PATH: `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}` };

function run(name) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', scripts[name]], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => out.push(c));
    child.on('close', (code, signal) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const status = code === 0 ? 'ok' : `failed (${signal ?? `exit ${code}`})`;
      process.stdout.write(`\n> ${name}: ${scripts[name]}\n${Buffer.concat(out).toString()}> ${name} ${status} in ${seconds} s\n`);
      resolve(code ?? 1);
    });
  });
}

async function lane(chain) {
  for (const name of chain) {
    const code = await run(name);
    if (code !== 0) return code;
  }
  return 0;
}

const codes = await Promise.all(lanes.map(lane));
process.exit(codes.find((c) => c !== 0) ?? 0);
