// Helpers for profile tests: parse a YAML string and get its problems (or the profile).
import assert from 'node:assert/strict';
import { parseProfile } from '../../src/profile/parse.js';
import { ProfileError, type ProfileProblem } from '../../src/profile/problems.js';

/** The problems `text` has as /work/p.yaml (relative to cwd /work); fails the test if it is valid. */
export function problemsOf(text: string, env: Record<string, string | undefined> = {}): ProfileProblem[] {
  try {
    parseProfile(text, 'p.yaml', env, '/work');
  } catch (err) {
    assert.ok(err instanceof ProfileError, `expected a ProfileError, got ${String(err)}`);
    return [...err.problems];
  }
  assert.fail(`expected problems in:\n${text}`);
}

/** Asserts `text` has exactly one problem, at line/col/path, whose message matches. */
export function assertOneProblem(
  text: string,
  want: { line: number; col: number; path: string; message: RegExp },
  env?: Record<string, string | undefined>,
): void {
  const problems = problemsOf(text, env);
  assert.equal(problems.length, 1, `expected one problem, got:\n${problems.map((p) => JSON.stringify(p)).join('\n')}`);
  const p = problems[0]!;
  assert.deepEqual(
    { file: p.file, line: p.line, col: p.col, path: p.path },
    { file: 'p.yaml', line: want.line, col: want.col, path: want.path },
  );
  assert.match(p.message, want.message);
}

/** A valid profile's first lines; tests append one mistake. */
export const base = 'model:\n  name: cnn-lstm\n';
