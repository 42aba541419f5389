// A real `serve replica` process of the demo model, the leader of its own process group, so that a
// test or a bench can stop every process of it at once (SIGSTOP to the group) (test helper).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cliEntry } from '../helpers/paths.js';

/** Starts `serve replica` as the leader of its own process group; resolves with its URL once it is ready. */
export function replicaProcess(registry: string, id: string, children: ChildProcess[]): Promise<string> {
  const args = ['replica', '--model', 'cnn-lstm', '--registry', registry, '--port', '0', '--threads', '1'];
  const proc = spawn(process.execPath, [cliEntry, ...args, '--replica-id', id, '--exit-with-parent'], {
    stdio: ['pipe', 'pipe', 'ignore'],
    detached: true,
  });
  children.push(proc);
  return new Promise((resolve, reject) => {
    let url = '';
    const timer = setTimeout(() => reject(new Error(`replica ${id} not ready within 30 s`)), 30_000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const e = JSON.parse(line) as { event: string; url?: string };
      if (e.event === 'listening') url = e.url!;
      if (e.event === 'ready') {
        clearTimeout(timer);
        resolve(url);
      }
    });
    proc.once('exit', (code) => reject(new Error(`replica ${id} exited with ${code}`)));
  });
}
