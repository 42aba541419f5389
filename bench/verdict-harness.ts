// Helpers of the verdict benchmarks (bench, issues 24 and 25): background processes keeping one core
// about half busy or both about 70% busy, `serve bench --json` run as a user runs it, and the load
// average beside each run.
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { cliEntry } from './replica-harness.js';

/** Two processes each spinning 70 ms of every 100 ms: both cores about 70% busy (issue 25's load). */
export function startBusy(): { stop(): Promise<void> } {
  const code =
    'const spin=()=>{const end=Date.now()+70;while(Date.now()<end);setTimeout(spin,30)};spin();' +
    "process.stdin.resume();process.stdin.on('end',()=>process.exit(0));";
  const kids: ChildProcess[] = [0, 1].map(() =>
    spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'ignore', 'inherit'] }),
  );
  return {
    stop: async () => {
      await Promise.all(
        kids.map(
          (k) =>
            new Promise<void>((resolve) => {
              if (k.exitCode !== null || k.signalCode !== null) return resolve();
              k.once('exit', () => resolve());
              k.stdin!.end();
              setTimeout(() => k.kill('SIGKILL'), 3000).unref();
            }),
        ),
      );
    },
  };
}

/** A child process that spins 50 ms then sleeps 50 ms, forever: one core about half busy. */
export function startHalfBusyCore(): { stop(): Promise<void> } {
  const code =
    'const spin=()=>{const end=Date.now()+50;while(Date.now()<end);setTimeout(spin,50)};spin();' +
    "process.stdin.resume();process.stdin.on('end',()=>process.exit(0));";
  const child: ChildProcess = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    stop: async () => {
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface CliRun {
  code: number | null;
  json: Record<string, unknown> | undefined;
  stderr: string;
  loadAverage1m: number;
  wallMs: number;
}

/** Runs `serve bench ARGS --json` in its own process; the JSON (or undefined) and its exit code. */
export function serveBenchJson(args: string[], limitMs = 240_000): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliEntry, 'bench', ...args, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code) => {
      clearTimeout(killer);
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(out) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolve({ code, json, stderr: err, loadAverage1m: os.loadavg()[0]!, wallMs: Date.now() - started });
    });
  });
}

/** "1.23 1.10 0.98". */
export const loadAverages = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
