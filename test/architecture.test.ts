// Keeps the dependency rules of ARCHITECTURE.md true: which folders may import which, and which
// folder each heavy library lives behind. Scans the import specifiers of every file in src/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './helpers/paths.js';

const srcDir = path.join(repoRoot, 'src');

/** Which src/ folders each folder may import (besides itself). */
const allowedFolders: Record<string, readonly string[]> = {
  common: [],
  profile: ['common'],
  // The replica reads the registry layout (model/registry, model/spec) and nothing else of the control plane.
  model: ['common'],
  replica: ['common', 'model'],
  gateway: ['common'],
  loadtest: ['common', 'stats'],
  // The statistics core: pure maths on plain numbers, used by loadtest, cli and tune.
  stats: ['common'],
  cluster: ['profile', 'model', 'common'],
  // Everything that talks to a running cluster from outside: the state directory's layout and the
  // admin API are wire conventions in common/, so client/ needs nothing of the controller's code.
  client: ['common'],
  tune: ['client', 'loadtest', 'report', 'profile', 'stats', 'common'],
  report: ['common'],
  simulate: ['cluster', 'profile', 'common'],
  export: ['profile', 'model', 'common'],
  ops: ['profile', 'common'],
  cli: ['common', 'profile', 'model', 'replica', 'gateway', 'cluster', 'client', 'loadtest', 'tune', 'report', 'simulate', 'export', 'ops', 'stats'],
};

/** Heavy libraries and the only folders (or subfolders, such as model/optimize) that may import them. */
const libraryHomes: Record<string, readonly string[]> = {
  'onnxruntime-node': ['replica', 'model'],
  // The ONNX protobuf definitions that read and rewrite graphs (optimize, INT8), and their runtime.
  'onnx-proto': ['model/optimize'],
  protobufjs: ['model/optimize'],
  'hdr-histogram-js': ['loadtest'],
  execa: ['cluster'],
  commander: ['cli'],
  ora: ['cli'],
  'cli-table3': ['cli'],
  zod: ['profile'],
  yaml: ['profile', 'model'],
  // The controller serves its own /metrics (cluster/controller-metrics.ts).
  'prom-client': ['replica', 'gateway', 'cluster'],
  // The plot library: scales and paths as SVG strings, behind report/.
  'd3-scale': ['report'],
  'd3-shape': ['report'],
  ioredis: ['gateway/cache'],
};

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

function specifiers(source: string): string[] {
  const out: string[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** True when `rel` (a path under src/) lies in the folder `home` ("model" or "model/optimize"). */
function isUnder(rel: string, home: string): boolean {
  return rel.split(path.sep).slice(0, -1).join('/').concat('/').startsWith(`${home}/`);
}

function violations(): string[] {
  const problems: string[] = [];
  for (const file of tsFiles(srcDir)) {
    const rel = path.relative(srcDir, file);
    const folder = rel.split(path.sep)[0]!;
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        const target = path.relative(srcDir, path.resolve(path.dirname(file), spec)).split(path.sep)[0]!;
        if (target !== folder && !(allowedFolders[folder] ?? []).includes(target)) {
          problems.push(`src/${rel} imports ${spec} (${folder} may not depend on ${target})`);
        }
      } else {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        const homes = libraryHomes[pkg];
        if (homes && !homes.some((home) => isUnder(rel, home))) problems.push(`src/${rel} imports ${pkg} (it lives behind ${homes.join(', ')})`);
      }
    }
  }
  return problems;
}

test('source folders respect the dependency direction and library homes', () => {
  assert.deepEqual(violations(), []);
});

test('a library homed in a subfolder may not be imported from its parent folder', () => {
  assert.equal(isUnder(path.join('model', 'optimize', 'onnx-model.ts'), 'model/optimize'), true);
  assert.equal(isUnder(path.join('model', 'optimize', 'deep', 'x.ts'), 'model/optimize'), true);
  assert.equal(isUnder(path.join('model', 'registry.ts'), 'model/optimize'), false);
  assert.equal(isUnder(path.join('model', 'optimizer.ts'), 'model/optimize'), false);
  assert.equal(isUnder(path.join('model', 'registry.ts'), 'model'), true);
});

/** System programs and the only folders that may run them. */
const programHomes: Record<string, readonly string[]> = {
  ssh: ['cluster/launchers', 'cluster/hosts'],
  'ssh-keygen': ['cluster/launchers', 'cluster/hosts'],
  'ssh-keyscan': ['cluster/launchers', 'cluster/hosts'],
  'nvidia-smi': ['cluster/hosts'],
};

/** True when `text` starts `program` (spawn, exec*, execa or runProcess of its name). */
function startsProgram(text: string, program: string): boolean {
  return new RegExp(`\\b(spawn|spawnSync|execFile|execFileSync|exec|execSync|execa|execaSync|runProcess)\\(\\s*['"\`]${program}['"\`]`).test(text);
}

/** Files starting a system program outside its home folders. */
function programViolations(): string[] {
  const problems: string[] = [];
  for (const file of tsFiles(srcDir)) {
    const rel = path.relative(srcDir, file).split(path.sep).join('/');
    const text = readFileSync(file, 'utf8');
    for (const [program, homes] of Object.entries(programHomes)) {
      if (startsProgram(text, program) && !homes.some((h) => rel.startsWith(`${h}/`))) problems.push(`src/${rel} runs ${program} (it lives behind ${homes.join(', ')})`);
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
  assert.ok(!startsProgram(`spawn('ssh-keygen', [])`, 'ssh'));});

test('the scanner sees real imports (guards against a scanner that finds nothing)', () => {
  const found = specifiers(`import { a } from './x.js';\nimport type { B } from "../common/y.js";\nexport * from './z.js';\nawait import('onnxruntime-node');`);
  assert.deepEqual(found, ['./x.js', '../common/y.js', './z.js', 'onnxruntime-node']);
});

test('no source file is longer than 250 lines (house style: one concept a file)', () => {
  const long: string[] = [];
  for (const file of tsFiles(srcDir)) {
    const lines = readFileSync(file, 'utf8').split('\n').length;
    if (lines > 251) long.push(`src/${path.relative(srcDir, file)}: ${lines} lines`);
  }
  assert.deepEqual(long, []);
});
