// Runs bin/serve.js as a user would (a child process in a given working directory) for e2e tests.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

export const serveBin = path.join(repoRoot, 'bin', 'serve.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `serve <args>` in `cwd`; kills it (and fails) after `timeoutMs`. */
export function serve(
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [serveBin, ...args], {
      // GitHub's variables only when a test sets them: a run of the tests inside Actions annotates nothing.
      cwd: opts.cwd,
      env: { ...process.env, GITHUB_ACTIONS: undefined, GITHUB_STEP_SUMMARY: undefined, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 60_000}ms\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
