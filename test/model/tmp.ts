// A temporary registry folder per test, removed afterwards even when the test fails (test helper).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

/** Creates an empty folder and registers its removal with `t.after`. */
export async function tempRegistry(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-model-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
