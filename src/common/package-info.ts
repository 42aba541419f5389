// What serve knows about its own installed package (common): where its package.json is, its version,
// and the git commit when it runs from a checkout. `serve --version` prints it; an SSH host check
// compares it with a remote host's.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'serve-cluster';

/** How long `git rev-parse` may take before --version prints without the commit. */
export const GIT_TIMEOUT_MS = 2000;

/** The folder holding serve's package.json, found upward from `from` (default: this module; works from any outDir). */
export function findPackageRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && readPackageJson(dir).name === PACKAGE_NAME) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package.json above ${from}`);
    dir = up;
  }
}

function readPackageJson(root: string): { name?: unknown; version?: unknown } {
  return JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
}

/** The "version" field of the package.json in `root`. */
export function packageVersion(root: string = findPackageRoot()): string {
  const { version } = readPackageJson(root);
  if (typeof version !== 'string' || version === '')
    throw new Error(`${path.join(root, 'package.json')} has no "version"`);
  return version;
}

/**
 * The short commit of HEAD when `root` is the top of a git checkout (a `.git` folder, or the `.git`
 * file of a worktree), else undefined. Never throws: no git, a broken repository or a git slower
 * than `timeoutMs` all give undefined. An installed package has no `.git`, so git is not even run.
 */
export function gitCommit(root: string, timeoutMs: number = GIT_TIMEOUT_MS): string | undefined {
  if (!existsSync(path.join(root, '.git'))) return undefined;
  try {
    const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      timeout: timeoutMs,
      stdio: ['ignore', 'pipe', 'ignore'],
      // The commit of this checkout, whatever GIT_DIR a calling script may have set.
      env: { ...process.env, GIT_DIR: undefined, GIT_WORK_TREE: undefined },
    });
    const commit = r.status === 0 ? r.stdout.trim() : '';
    return /^[0-9a-f]{4,64}$/.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The line `serve --version` prints: "0.1.0", or "0.1.0 (git 3da8854)" from a checkout. The first
 * word is always the package version, so two hosts compare that word.
 */
export function versionLine(root: string = findPackageRoot(), timeoutMs?: number): string {
  const version = packageVersion(root);
  const commit = gitCommit(root, timeoutMs);
  return commit === undefined ? version : `${version} (git ${commit})`;
}
