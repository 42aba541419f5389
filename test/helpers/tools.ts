// System components a test needs (sshd, redis-server, promtool, chromium, python3...): found on the
// PATH, or the test skips with a clear message on a laptop and fails under CI=true, where .ci/run
// must have installed it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/** True when `command --version` (or `args`) runs; results are cached per command line. */
const found = new Map<string, boolean>();
export function hasTool(command: string, args: readonly string[] = ['--version']): boolean {
  const key = [command, ...args].join(' ');
  let ok = found.get(key);
  if (ok === undefined) {
    const r = spawnSync(command, [...args], { stdio: 'ignore', timeout: 10_000 });
    ok = r.error === undefined && r.status === 0;
    found.set(key, ok);
  }
  return ok;
}

/**
 * Returns true when `command` is available. Otherwise, under CI=true the test fails (CI must have
 * it), and elsewhere it is skipped with a message naming the Debian package to install.
 */
export function needTool(
  t: { skip(message?: string): void },
  command: string,
  debianPackage: string,
  args?: readonly string[],
): boolean {
  if (hasTool(command, args)) return true;
  const message = `${command} not found: install Debian's ${debianPackage} (apt-get install ${debianPackage}), as .ci/run does`;
  if (process.env.CI === 'true' || process.env.CI === '1')
    assert.fail(`${message} (CI=true: a missing tool is a failure, not a skip)`);
  t.skip(message);
  return false;
}
