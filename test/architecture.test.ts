// The house rules dependency-cruiser cannot express (see .dependency-cruiser.cjs for the import rules):
// which folders may start the system ssh, and the size of a source file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './helpers/paths.js';

const srcDir = path.join(repoRoot, 'src');

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

/** System programs and the only folders that may run them. */
const programHomes: Record<string, readonly string[]> = {
  ssh: ['cluster/launchers', 'cluster/hosts'],
  'ssh-keygen': ['cluster/launchers', 'cluster/hosts'],
  'ssh-keyscan': ['cluster/launchers', 'cluster/hosts'],
  'nvidia-smi': ['cluster/hosts'],
};

/** True when `text` starts `program` (spawn, exec*, execa or runProcess of its name). */
function startsProgram(text: string, program: string): boolean {
  return new RegExp(
    `\\b(spawn|spawnSync|execFile|execFileSync|exec|execSync|execa|execaSync|runProcess)\\(\\s*['"\`]${program}['"\`]`,
  ).test(text);
}

/** Files starting a system program outside its home folders. */
function programViolations(): string[] {
  const problems: string[] = [];
  for (const file of tsFiles(srcDir)) {
    const rel = path.relative(srcDir, file).split(path.sep).join('/');
    const text = readFileSync(file, 'utf8');
    for (const [program, homes] of Object.entries(programHomes)) {
      if (startsProgram(text, program) && !homes.some((h) => rel.startsWith(`${h}/`)))
        problems.push(`src/${rel} runs ${program} (it lives behind ${homes.join(', ')})`);
    }
  }
  return problems;
}

test('the system ssh (and nvidia-smi) are run only behind cluster/launchers and cluster/hosts', () => {
  assert.deepEqual(programViolations(), []);
  // The scanner sees a start, and not a mere mention.
  assert.ok(startsProgram(`const c = spawn('ssh', [...args]);`, 'ssh'));
  assert.ok(startsProgram(`await runProcess('nvidia-smi', ARGS, o)`, 'nvidia-smi'));
  assert.ok(!startsProgram(`const head = ['host', 'ssh', 'cpus'];`, 'ssh'));
  assert.ok(!startsProgram(`spawn('ssh-keygen', [])`, 'ssh'));
});

test('no source file is longer than 250 lines (house style: one concept a file)', () => {
  const long: string[] = [];
  for (const file of tsFiles(srcDir)) {
    const lines = readFileSync(file, 'utf8').split('\n').length;
    if (lines > 251) long.push(`src/${path.relative(srcDir, file)}: ${lines} lines`);
  }
  assert.deepEqual(long, []);
});

test('at most 20 lines of src/ are over 140 characters (Prettier wraps code, not long strings or comments)', () => {
  const long: string[] = [];
  for (const file of tsFiles(srcDir)) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.length > 140) long.push(`src/${path.relative(srcDir, file)}:${i + 1}: ${line.length} characters`);
      });
  }
  assert.ok(
    long.length <= 20,
    `${long.length} lines over 140 characters (split long strings into + pieces):\n${long.join('\n')}`,
  );
});

/** Files directly in each folder of src/ (not in its subfolders), by folder path relative to src/. */
function filesPerFolder(dir: string, rel = ''): Map<string, number> {
  const out = new Map<string, number>();
  let own = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) for (const [k, v] of filesPerFolder(p, rel ? `${rel}/${name}` : name)) out.set(k, v);
    else own++;
  }
  out.set(rel, own);
  return out;
}

test('no folder of src/ holds more than 30 files directly, and cluster/ itself at most 8 (the rest in its concern folders)', () => {
  const crowded = [...filesPerFolder(srcDir)]
    .filter(([folder, n]) => n > (folder === 'cluster' ? 8 : 30))
    .map(([folder, n]) => `src/${folder}/ holds ${n} files (group them into concern folders)`);
  assert.deepEqual(crowded, []);
});
