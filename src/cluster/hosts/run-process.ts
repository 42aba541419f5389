// Runs one short helper process and collects its output (control plane, hosts): ssh, ssh-keygen,
// ssh-keyscan and nvidia-smi, each bounded by a timeout so no check can hang.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** How a helper ended; `code` null when it was killed (`timedOut` says when that was the timeout). */
export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The command could not be started (ENOENT ...). */
  spawnError?: string;
}

/**
 * Runs `command args` with `input` on stdin (else stdin is closed at once), kills it after
 * `timeoutMs`, and resolves with its output; never rejects.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  o: { timeoutMs: number; input?: string | Buffer | Readable; env?: NodeJS.ProcessEnv },
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'], env: o.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let spawnError: string | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {});
    child.on('error', (e: NodeJS.ErrnoException) => (spawnError = e.code ?? e.message));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        ...(spawnError ? { spawnError } : {}),
      });
    });
    if (o.input === undefined) child.stdin.end();
    else if (typeof o.input === 'string' || Buffer.isBuffer(o.input)) child.stdin.end(o.input);
    else o.input.pipe(child.stdin);
  });
}
