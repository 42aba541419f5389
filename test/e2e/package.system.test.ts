// The package an operator installs (issue 16): packing builds it (prepack is the build npm test runs) and packs
// only bin/, dist/src/, profiles/, README, docs/ (so the README's links work where it is installed) and LICENSE; the tarball installs into a temporary prefix
// from the local npm cache alone (--offline), and from an empty directory the installed `serve`
// answers --version and --help, finds the shipped market-hours profile and runs a 2-second demo.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  cpSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { needTool } from '../helpers/tools.js';

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Process groups still running, killed by the test's cleanup if it fails half-way. */
const live = new Set<number>();

/** Runs `file args` in its own process group; SIGKILLs the group (and fails) after `timeoutMs`. */
function run(
  file: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid !== undefined) live.add(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      killGroup(child.pid);
      reject(
        new Error(`${file} ${args.join(' ')} did not finish in ${opts.timeoutMs}ms\nstderr: ${stderr.slice(-2000)}`),
      );
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (child.pid !== undefined) live.delete(child.pid);
      resolve({ code, stdout, stderr });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  live.delete(pid);
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * The environment a user's shell would give npm: without the variables the outer `npm test` sets
 * for its own package and prefix (kept: the user's npm settings, such as npm_config_cache).
 */
function npmEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^npm_(package_|lifecycle_)|^npm_(command|execpath)$|^npm_config_(prefix|global_prefix|local_prefix)$|^INIT_CWD$/i.test(
        key,
      )
    )
      continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Every file the tarball may hold; everything else (tests, benchmarks, CI, source maps, sources) must stay out. */
const SHIPPED =
  /^(package\.json|README\.md|LICENSE|bin\/[\w-]+\.js|dist\/src\/[\w/.-]+\.js|profiles\/[\w.-]+\.(ya?ml|json)|docs\/[\w/.-]+\.(md|ya?ml))$/;

function assertShipped(files: string[]): void {
  const forbidden = files.filter((f) => /^(test|bench|\.ci|dist\/test|dist\/bench)\//.test(f));
  assert.deepEqual(forbidden, [], 'no test, benchmark or CI file in the package');
  assert.deepEqual(
    files.filter((f) => !SHIPPED.test(f)),
    [],
    'only bin/, dist/src/*.js, profiles/, README, docs/, LICENSE, package.json',
  );
  for (const f of [
    'bin/serve.js',
    'dist/src/cli/main.js',
    'dist/src/common/package-info.js',
    'profiles/market-hours.yaml',
    'LICENSE',
    'README.md',
    'docs/getting-started.md',
  ]) {
    assert.ok(files.includes(f), `${f} is in the package`);
  }
}

function packedFiles(stdout: string): { filename: string; files: string[] } {
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { filename: info.filename, files: info.files.map((f) => f.path).sort() };
}

test('npm pack --dry-run --json lists bin/, dist/src/, profiles/, README, docs/ and LICENSE, and no test, bench, .ci or dist/test file', async (t) => {
  if (!needTool(t, 'npm', 'npm')) return;
  if (!existsSync(path.join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) {
    t.skip('no dist/ in the checkout to list: run `npm run build` (npm test does)');
    return;
  }
  // --ignore-scripts: list the dist/ that `npm test` built (with dist/test and dist/bench in it)
  // instead of rebuilding it under the running tests.
  const r = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: repoRoot,
    env: npmEnv(),
    timeoutMs: 60_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assertShipped(packedFiles(r.stdout).files);
});

/** A copy of the checkout as a fresh clone has it: sources, no dist/, no tests; node_modules shared. */
function cleanCopy(dest: string): void {
  const skip = new Set(['node_modules', '.git', 'test', 'bench', '.ci', '.serve', 'models']);
  for (const entry of readdirSync(repoRoot)) {
    if (skip.has(entry) || entry === 'dist' || entry.startsWith('dist-') || entry.endsWith('.tgz')) continue;
    cpSync(path.join(repoRoot, entry), path.join(dest, entry), { recursive: true });
  }
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dest, 'node_modules'));
}

/**
 * Installs `tgz` as a dependency of a throwaway project whose lockfile is ours (re-rooted), with
 * `npm ci --offline`: the same registry documents and tarballs `npm ci` fetched for this checkout
 * are all it needs. Returns the installed `serve` command.
 */
async function installWithLockfile(tgz: string, dir: string): Promise<string> {
  mkdirSync(dir);
  const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<
      string,
      { dev?: boolean; version?: string; dependencies?: object; bin?: object; engines?: object; license?: string }
    >;
  };
  const root = lock.packages[''];
  const spec = `file:${tgz}`;
  const packages: Record<string, unknown> = {
    '': { name: 'serve-install-check', dependencies: { [pkg.name]: spec } },
    [`node_modules/${pkg.name}`]: {
      version: root.version,
      resolved: spec,
      license: root.license,
      dependencies: root.dependencies,
      bin: root.bin,
      engines: root.engines,
    },
  };
  for (const [key, entry] of Object.entries(lock.packages)) if (key !== '' && !entry.dev) packages[key] = entry;
  writeFileSync(
    path.join(dir, 'package-lock.json'),
    JSON.stringify({ name: 'serve-install-check', lockfileVersion: 3, requires: true, packages }),
  );
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: 'serve-install-check',
      private: true,
      dependencies: { [pkg.name]: spec },
      allowScripts: { 'onnxruntime-node': false },
    }),
  );
  const ci = await run('npm', ['ci', '--offline', '--omit=dev', '--no-audit', '--no-fund'], {
    cwd: dir,
    env: npmEnv(),
    timeoutMs: 120_000,
  });
  assert.equal(ci.code, 0, `npm ci --offline of the tarball failed:\n${ci.stderr.slice(-3000)}`);
  return path.join(dir, 'node_modules', '.bin', 'serve');
}

test('the packed tarball installs offline into a temporary prefix and runs from an empty directory', async (t: TestContext) => {
  if (!needTool(t, 'npm', 'npm')) return;
  const work = mkdtempSync(path.join(os.tmpdir(), 'serve-package-'));
  t.after(() => {
    for (const pid of [...live]) killGroup(pid);
    rmSync(work, { recursive: true, force: true });
  });

  const checkout = path.join(work, 'checkout');
  mkdirSync(checkout);
  cleanCopy(checkout);
  // `npm pack` runs prepack, which is `npm run build`: the very build `npm test` ran before this
  // file (dist/src/ of the checkout). Packing that build instead of compiling the clean copy again
  // saves a whole tsc run; the clean copy is still only what a fresh clone holds, plus dist/src/.
  const scripts = (
    JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  assert.equal(scripts.prepack, 'npm run build', 'packing builds the package first');
  if (existsSync(path.join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) {
    cpSync(path.join(repoRoot, 'dist', 'src'), path.join(checkout, 'dist', 'src'), { recursive: true });
  } else {
    const build = await run('npm', ['run', 'prepack'], { cwd: checkout, env: npmEnv(), timeoutMs: 150_000 });
    assert.equal(build.code, 0, `npm run prepack failed:\n${build.stdout.slice(-3000)}${build.stderr.slice(-3000)}`);
  }
  const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: checkout,
    env: npmEnv(),
    timeoutMs: 60_000,
  });
  assert.equal(pack.code, 0, `npm pack failed:\n${pack.stderr.slice(-3000)}`);
  const packed = packedFiles(pack.stdout);
  assertShipped(packed.files);
  const tgz = path.join(work, packed.filename);

  // What a CPU host types (README, "Installing"): the CUDA download of onnxruntime-node's script skipped.
  let serveBin: string | undefined;
  await t.test('npm install -g <tarball> --prefix <tmp> --offline', async (st) => {
    const prefix = path.join(work, 'prefix');
    const g = await run('npm', ['install', '-g', tgz, '--prefix', prefix, '--offline', '--no-audit', '--no-fund'], {
      cwd: work,
      env: npmEnv({ ONNXRUNTIME_NODE_INSTALL: 'skip' }),
      timeoutMs: 120_000,
    });
    if (g.code !== 0 && /ENOTCACHED/.test(g.stderr)) {
      // Not a fault of the package: see the README ("Installing offline").
      const missing = /request to (\S+) failed/.exec(g.stderr)?.[1] ?? 'a registry document';
      st.skip(
        `npm install -g --offline needs the full registry document of every dependency (${missing}), which npm ci never caches: installing the same tarball with the project's lockfile instead`,
      );
      return;
    }
    assert.equal(g.code, 0, `npm install -g failed:\n${g.stderr.slice(-3000)}`);
    serveBin = path.join(prefix, 'bin', 'serve');
  });
  if (serveBin === undefined) {
    await t.test('npm ci --offline of the tarball with the project lockfile', async () => {
      serveBin = await installWithLockfile(tgz, path.join(work, 'project'));
    });
  }
  const bin = serveBin;
  assert.ok(bin !== undefined && existsSync(bin), 'an installed serve command');

  const empty = path.join(work, 'empty');
  mkdirSync(empty);
  const serve = (args: string[], timeoutMs = 60_000) => run(bin, args, { cwd: empty, env: npmEnv(), timeoutMs });
  // The four runs of the installed command share nothing but the empty directory (only the demo
  // writes there): they run side by side, and each subtest checks its own.
  const [version, help, validate, demo] = await Promise.all([
    serve(['--version']),
    serve(['--help']),
    serve(['validate', 'market-hours']),
    serve(['demo', '--duration', '2s', '--warmup', '0s', '--json'], 90_000),
  ]);

  await t.test('serve --version prints the package version, no commit outside a checkout', () => {
    const r = version;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${pkg.version}\n`);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: serve /);
  });

  await t.test('serve validate market-hours finds the profile shipped inside the package', () => {
    const r = validate;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${pkg.name}/profiles/market-hours\\.yaml: ok`));
  });

  await t.test('serve demo --duration 2s builds ./models in the empty directory and serves it', () => {
    const r = demo;
    // 1 is a missed latency target (no warmup on a busy machine), not a broken install.
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}\n${r.stderr.slice(-2000)}`);
    const result = JSON.parse(r.stdout) as { requests: { ok: number } };
    assert.ok(result.requests.ok >= 100, `${result.requests.ok} requests succeeded`);
    assert.ok(
      existsSync(path.join(empty, 'models', 'cnn-lstm', '1', 'model.onnx')),
      'the demo model was built under the current directory',
    );
    assert.match(r.stderr, /built the demo model cnn-lstm@1/);
  });
});
